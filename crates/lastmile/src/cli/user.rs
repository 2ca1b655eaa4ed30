//! `lastmile user`: staff users.

use clap::Subcommand;

use super::{Ctx, explain, read_stdin};

#[derive(Subcommand)]
pub enum UserCommand {
    /// Create a staff user.
    Create {
        #[arg(long)]
        username: String,
        /// Role name: admin, finance, technician, support or a custom role.
        #[arg(long)]
        role: String,
        #[arg(long)]
        email: Option<String>,
        #[arg(long, default_value = "")]
        name: String,
        /// Read the password from standard input.
        #[arg(long, required = true)]
        password_stdin: bool,
    },
    /// Remove a user's two-factor authentication (lost phone).
    #[command(name = "reset-2fa")]
    Reset2fa {
        #[arg(long)]
        username: String,
    },
}

pub async fn run(ctx: &Ctx, command: UserCommand) -> anyhow::Result<()> {
    let svc = ctx.open().await?;
    match command {
        UserCommand::Create {
            username,
            role,
            email,
            name,
            password_stdin,
        } => {
            let password = if password_stdin {
                read_stdin("password")?
            } else {
                String::new()
            };
            let input = services::staff::UserInput {
                email: email.unwrap_or_default(),
                display_name: name,
                username: username.to_lowercase(),
                role,
                ..Default::default()
            };
            let id =
                services::staff::create_user(&svc, &services::Caller::cli(), &input, &password)
                    .await
                    .map_err(explain)?;
            println!("created user {} (id {id})", input.username);
        }
        UserCommand::Reset2fa { username } => {
            let user = services::staff::user_by_username(&svc, &services::Caller::cli(), &username)
                .await
                .map_err(|_| anyhow::anyhow!("--username: no user named `{username}`"))?;
            services::staff::reset_2fa(&svc, &services::Caller::cli(), user.id)
                .await
                .map_err(explain)?;
            println!("two-factor authentication removed for {username}");
        }
    }
    Ok(())
}
