//! `lastmile setup`: first-run setup without the browser (unattended installs).

use clap::Args;

use super::{Ctx, explain, read_stdin};

#[derive(Args)]
pub struct SetupArgs {
    #[arg(long)]
    company: String,
    /// Legal document (CNPJ, VAT number, …).
    #[arg(long, default_value = "-")]
    legal_document: String,
    /// ISO 3166 country code, e.g. BR.
    #[arg(long)]
    country: String,
    /// ISO 4217 currency code, e.g. BRL.
    #[arg(long)]
    currency: String,
    /// en or pt-BR.
    #[arg(long, default_value = "en")]
    locale: String,
    /// IANA time zone, e.g. America/Sao_Paulo.
    #[arg(long, default_value = "UTC")]
    timezone: String,
    #[arg(long)]
    admin_username: String,
    #[arg(long)]
    admin_email: String,
    #[arg(long, default_value = "")]
    admin_name: String,
    /// Read the admin password from standard input.
    #[arg(long, required = true)]
    password_stdin: bool,
}

pub async fn run(ctx: &Ctx, a: SetupArgs) -> anyhow::Result<()> {
    let svc = ctx.open().await?;
    let input = services::system::setup::SetupInput {
        company: a.company,
        legal_document: a.legal_document,
        country: a.country.to_uppercase(),
        currency: a.currency.to_uppercase(),
        locale: a.locale,
        timezone: a.timezone,
        admin_username: a.admin_username.to_lowercase(),
        admin_email: a.admin_email,
        admin_name: a.admin_name,
        admin_password: if a.password_stdin {
            read_stdin("password")?
        } else {
            String::new()
        },
        logo: None,
    };
    match services::system::setup::run(&svc, &input, None).await {
        Ok(_) => println!("setup complete: sign in as {}", input.admin_username),
        Err(services::Error::Refused("setup-done")) => {
            anyhow::bail!("setup was already completed for this database")
        }
        Err(e) => return Err(explain(e)),
    }
    Ok(())
}
