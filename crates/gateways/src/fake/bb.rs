//! A local Banco do Brasil, API Cobranças v2, written from BB's published
//! specification (developers.bb.com.br).
//!
//! One HTTP server on 127.0.0.1 serves the OAuth token endpoint (Basic
//! client credentials) and the boleto endpoints, keeping boletos in memory.
//! Like BB it refuses calls without a valid Bearer token or without the
//! `gw-dev-app-key` query parameter, validates the registration's fields
//! (errors in BB's `erros[]` shape), and answers real codes: the linha
//! digitável and barcode of bank 001 computed by brpay and, for hybrid
//! boletos (`indicadorPix: "S"`), a dynamic Pix BR Code with a txid.
//!
//! Tests drive it with [`FakeBb::pay`] and read [`FakeBb::requests`].

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, Query, Request, State};
use axum::http::{HeaderMap, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use base64::Engine as _;
use jiff::ToSpan as _;
use jiff::civil::Date;
use serde_json::{Value, json};

use crate::boleto::bb::{self as client, bb_date, money, parse_bb_date, reais};

/// The OAuth client id the fake accepts.
pub const CLIENT_ID: &str = "eyJpZCI6ImZha2UtYmIifQ";
/// The OAuth client secret the fake accepts.
pub const CLIENT_SECRET: &str = "fake-bb-secret";
/// The developer application key (`gw-dev-app-key`) the fake accepts.
pub const APP_KEY: &str = "d27b77790cffabc01368e17d80050c56b9a1a5bf";
/// The convênio of the fake beneficiary (7 digits).
pub const CONVENIO: &str = "3128557";
/// The fake beneficiary's agência.
pub const AGENCIA: &str = "452";
/// The fake beneficiary's conta.
pub const CONTA: &str = "123873";
/// The tariff the fake deducts from each payment it credits, in centavos.
pub const PAYMENT_FEE: i64 = 180;
/// How long a token lives, in seconds.
pub const TOKEN_SECONDS: u64 = 600;

/// One request the fake received.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoggedRequest {
    /// HTTP method.
    pub method: String,
    /// Path, without the query.
    pub path: String,
    /// Query parameters in order.
    pub query: Vec<(String, String)>,
}

struct Boleto {
    numero: String,
    issue: Date,
    due: Date,
    amount: i64,
    line: String,
    state: u64,
    paid: Option<(i64, Date)>,
    canceled_on: Option<Date>,
}

#[derive(Default)]
struct Inner {
    tokens: HashMap<String, Instant>,
    tokens_issued: usize,
    boletos: HashMap<String, Boleto>,
    log: Vec<LoggedRequest>,
    page_size: usize,
}

type Shared = Arc<Mutex<Inner>>;

fn lock(state: &Shared) -> MutexGuard<'_, Inner> {
    // A panicking handler must not take the other tests' assertions with it.
    state.lock().unwrap_or_else(|p| p.into_inner())
}

/// A running fake; the server stops when this is dropped.
pub struct FakeBb {
    base_url: String,
    oauth_url: String,
    state: Shared,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
}

impl FakeBb {
    /// Starts the server on a free loopback port.
    pub async fn start() -> FakeBb {
        let state: Shared = Arc::new(Mutex::new(Inner {
            page_size: 300,
            ..Inner::default()
        }));
        let app = Router::new()
            .route("/oauth/token", post(token))
            .route("/cobrancas/v2/boletos", post(register).get(list))
            .route("/cobrancas/v2/boletos/{id}", get(detail))
            .route("/cobrancas/v2/boletos/{id}/baixar", post(baixar))
            .layer(middleware::from_fn_with_state(state.clone(), log_request))
            .with_state(state.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind a loopback port for the fake BB");
        let addr = listener.local_addr().expect("fake BB address");
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        tokio::spawn(async move {
            let _ = axum::serve(listener, app)
                .with_graceful_shutdown(async move {
                    let _ = stopped.await;
                })
                .await;
        });
        FakeBb {
            base_url: format!("http://{addr}/cobrancas/v2/"),
            oauth_url: format!("http://{addr}/"),
            state,
            stop: Some(stop),
        }
    }

    /// The API base URL (ends in `cobrancas/v2/`).
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// The OAuth base URL (`oauth/token` under it).
    pub fn oauth_url(&self) -> &str {
        &self.oauth_url
    }

    /// A client configuration with the fake's credentials and agreement.
    pub fn config(&self) -> client::Config {
        let mut api = crate::http::Config::new(self.base_url.clone());
        api.timeout = Duration::from_secs(5);
        let mut oauth = crate::http::Config::new(self.oauth_url.clone());
        oauth.timeout = Duration::from_secs(5);
        client::Config {
            api,
            oauth,
            client_id: CLIENT_ID.into(),
            client_secret: CLIENT_SECRET.into(),
            app_key: APP_KEY.into(),
            convenio: CONVENIO.into(),
            carteira: 17,
            variacao: 35,
            modalidade: 1,
            agencia: AGENCIA.into(),
            conta: CONTA.into(),
        }
    }

    /// Marks an open boleto paid (state 6, *liquidado*) with `amount`
    /// centavos on `date`; credited the next day minus [`PAYMENT_FEE`].
    /// Returns false when the boleto is unknown or not open.
    pub fn pay(&self, nosso_numero: &str, amount: i64, date: Date) -> bool {
        let mut inner = lock(&self.state);
        match inner.boletos.get_mut(nosso_numero) {
            Some(b) if b.state == 1 => {
                b.state = 6;
                b.paid = Some((amount, date));
                true
            }
            _ => false,
        }
    }

    /// BB's state code of a boleto (1 normal, 6 liquidado, 7 baixado).
    pub fn state_of(&self, nosso_numero: &str) -> Option<u64> {
        lock(&self.state).boletos.get(nosso_numero).map(|b| b.state)
    }

    /// Every request received, in order.
    pub fn requests(&self) -> Vec<LoggedRequest> {
        lock(&self.state).log.clone()
    }

    /// How many tokens the OAuth endpoint issued.
    pub fn tokens_issued(&self) -> usize {
        lock(&self.state).tokens_issued
    }

    /// Revokes every token, as if they expired early.
    pub fn revoke_tokens(&self) {
        lock(&self.state).tokens.clear();
    }

    /// Boletos per page of the list endpoint (BB's is 300).
    pub fn set_page_size(&self, size: usize) {
        lock(&self.state).page_size = size.max(1);
    }
}

impl Drop for FakeBb {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

async fn log_request(State(state): State<Shared>, request: Request, next: Next) -> Response {
    let query = request
        .uri()
        .query()
        .map(|q| serde_urlencoded::from_str::<Vec<(String, String)>>(q).unwrap_or_default())
        .unwrap_or_default();
    lock(&state).log.push(LoggedRequest {
        method: request.method().to_string(),
        path: request.uri().path().to_owned(),
        query,
    });
    next.run(request).await
}

fn today() -> Date {
    jiff::Timestamp::now()
        .to_zoned(jiff::tz::TimeZone::UTC)
        .date()
}

/// BB's API error: `{"erros":[{"codigo","versao","mensagem","ocorrencia"}]}`.
fn erro(status: StatusCode, codigo: &str, mensagem: impl Into<String>) -> Response {
    let body = json!({ "erros": [{
        "codigo": codigo,
        "versao": "1",
        "mensagem": mensagem.into(),
        "ocorrencia": "CHOM00000000000000000",
    }]});
    (status, axum::Json(body)).into_response()
}

/// The gateway's error shape: `{"errors":[{"code","message"}]}`.
fn gateway_error(status: StatusCode, message: &str) -> Response {
    let body = json!({ "errors": [{ "code": status.as_u16().to_string(), "message": message }] });
    (status, axum::Json(body)).into_response()
}

async fn token(State(state): State<Shared>, headers: HeaderMap, body: Bytes) -> Response {
    let oauth_error = |status: StatusCode, error: &str, description: &str| {
        (
            status,
            axum::Json(json!({ "error": error, "error_description": description })),
        )
            .into_response()
    };
    let credentials = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Basic "))
        .and_then(|b| base64::engine::general_purpose::STANDARD.decode(b).ok())
        .and_then(|b| String::from_utf8(b).ok());
    if credentials.as_deref() != Some(&format!("{CLIENT_ID}:{CLIENT_SECRET}")) {
        return oauth_error(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            "client credentials are missing or wrong",
        );
    }
    let form: HashMap<String, String> = serde_urlencoded::from_bytes(&body).unwrap_or_default();
    if form.get("grant_type").map(String::as_str) != Some("client_credentials") {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "unsupported_grant_type",
            "grant_type must be client_credentials",
        );
    }
    let allowed: Vec<&str> = client::SCOPES.split(' ').collect();
    let scope = form
        .get("scope")
        .cloned()
        .unwrap_or_else(|| client::SCOPES.into());
    if scope.split(' ').any(|s| !allowed.contains(&s)) {
        return oauth_error(StatusCode::BAD_REQUEST, "invalid_scope", "unknown scope");
    }
    let mut inner = lock(&state);
    inner.tokens_issued += 1;
    let value = format!(
        "fake-bb-{}-{}",
        inner.tokens_issued,
        jiff::Timestamp::now().as_nanosecond()
    );
    inner.tokens.insert(
        value.clone(),
        Instant::now() + Duration::from_secs(TOKEN_SECONDS),
    );
    axum::Json(json!({
        "access_token": value,
        "token_type": "Bearer",
        "expires_in": TOKEN_SECONDS,
        "scope": scope,
    }))
    .into_response()
}

/// The gateway's checks before any API call: app key, then Bearer token;
/// `Some` is the refusal.
fn authorize(
    state: &Shared,
    headers: &HeaderMap,
    query: &HashMap<String, String>,
) -> Option<Response> {
    if query.get("gw-dev-app-key").map(String::as_str) != Some(APP_KEY) {
        return Some(gateway_error(
            StatusCode::UNAUTHORIZED,
            "gw-dev-app-key: developer application key missing or invalid",
        ));
    }
    let token = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "));
    let inner = lock(state);
    match token.and_then(|t| inner.tokens.get(t)) {
        Some(until) if *until > Instant::now() => None,
        _ => Some(gateway_error(
            StatusCode::UNAUTHORIZED,
            "access token missing, invalid or expired",
        )),
    }
}

fn int(v: &Value, key: &str) -> Option<u64> {
    match v.get(key)? {
        Value::Number(n) => n.as_u64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

fn text<'a>(v: &'a Value, key: &str) -> Option<&'a str> {
    v.get(key)?
        .as_str()
        .map(str::trim)
        .filter(|s| !s.is_empty())
}

/// A registration as BB validates it; `Err` is the message for `erros[]`.
struct Valid {
    numero: String,
    issue: Date,
    due: Date,
    amount: i64,
    carteira: u64,
    pix: bool,
}

fn validate(b: &Value) -> Result<Valid, String> {
    if int(b, "numeroConvenio").map(|c| c.to_string()) != Some(CONVENIO.to_owned()) {
        return Err("numeroConvenio: convênio não encontrado para o cliente".into());
    }
    let carteira = int(b, "numeroCarteira").ok_or("numeroCarteira: campo obrigatório")?;
    int(b, "numeroVariacaoCarteira").ok_or("numeroVariacaoCarteira: campo obrigatório")?;
    match int(b, "codigoModalidade") {
        Some(1 | 4) => {}
        _ => return Err("codigoModalidade: deve ser 1 (simples) ou 4 (vinculada)".into()),
    }
    let date = |key: &str| {
        text(b, key)
            .and_then(parse_bb_date)
            .ok_or(format!("{key}: data inválida, formato dd.mm.aaaa"))
    };
    let issue = date("dataEmissao")?;
    let due = date("dataVencimento")?;
    if due < issue {
        return Err("dataVencimento: anterior à data de emissão".into());
    }
    let amount = money(b.get("valorOriginal"))
        .filter(|a| *a > 0)
        .ok_or("valorOriginal: deve ser maior que zero")?;
    match text(b, "codigoAceite") {
        Some("A" | "N") => {}
        _ => return Err("codigoAceite: deve ser A ou N".into()),
    }
    int(b, "codigoTipoTitulo").ok_or("codigoTipoTitulo: campo obrigatório")?;
    if let Some(p) = text(b, "indicadorPermissaoRecebimentoParcial")
        && p != "S"
        && p != "N"
    {
        return Err("indicadorPermissaoRecebimentoParcial: deve ser S ou N".into());
    }
    let numero = text(b, "numeroTituloCliente").unwrap_or_default();
    if numero.len() != 20
        || !numero.bytes().all(|c| c.is_ascii_digit())
        || !numero.starts_with(&format!("000{CONVENIO}"))
        || numero.ends_with("0000000000")
    {
        return Err(
            "numeroTituloCliente: deve ter 20 dígitos, 000 + convênio + 10 dígitos de sequência"
                .into(),
        );
    }
    if let Some(s) = b.get("numeroTituloBeneficiario").and_then(Value::as_str)
        && s.chars().count() > 15
    {
        return Err("numeroTituloBeneficiario: no máximo 15 caracteres".into());
    }
    let pagador = b.get("pagador").ok_or("pagador: campo obrigatório")?;
    let documento =
        int(pagador, "numeroInscricao").ok_or("pagador.numeroInscricao: campo obrigatório")?;
    match int(pagador, "tipoInscricao") {
        Some(1) if brpay::check::cpf_is_valid(&format!("{documento:011}")) => {}
        Some(2) if brpay::check::cnpj_is_valid(&format!("{documento:014}")) => {}
        Some(1 | 2) => return Err("pagador.numeroInscricao: CPF/CNPJ inválido".into()),
        _ => return Err("pagador.tipoInscricao: deve ser 1 (CPF) ou 2 (CNPJ)".into()),
    }
    text(pagador, "nome").ok_or("pagador.nome: campo obrigatório")?;
    text(pagador, "endereco").ok_or("pagador.endereco: campo obrigatório")?;
    match int(pagador, "cep") {
        Some(c) if (1_000_000..=99_999_999).contains(&c) => {}
        _ => return Err("pagador.cep: CEP inválido".into()),
    }
    text(pagador, "cidade").ok_or("pagador.cidade: campo obrigatório")?;
    match text(pagador, "uf") {
        Some(uf) if uf.len() == 2 && uf.bytes().all(|c| c.is_ascii_uppercase()) => {}
        _ => return Err("pagador.uf: UF inválida".into()),
    }
    if let Some(m) = b.get("multa") {
        match int(m, "tipo") {
            Some(0) => {}
            Some(t @ (1 | 2)) => {
                let data = text(m, "data")
                    .and_then(parse_bb_date)
                    .ok_or("multa.data: data inválida")?;
                if data <= due {
                    return Err("multa.data: deve ser posterior ao vencimento".into());
                }
                let key = if t == 1 { "valor" } else { "porcentagem" };
                if money(m.get(key)).is_none_or(|v| v <= 0) {
                    return Err(format!("multa.{key}: deve ser maior que zero"));
                }
            }
            _ => return Err("multa.tipo: deve ser 0, 1 ou 2".into()),
        }
    }
    if let Some(j) = b.get("jurosMora") {
        match int(j, "tipo") {
            Some(0 | 3) => {}
            Some(t @ (1 | 2)) => {
                let key = if t == 1 { "valor" } else { "porcentagem" };
                if money(j.get(key)).is_none_or(|v| v <= 0) {
                    return Err(format!("jurosMora.{key}: deve ser maior que zero"));
                }
            }
            _ => return Err("jurosMora.tipo: deve ser 0, 1, 2 ou 3".into()),
        }
    }
    if let Some(d) = b.get("desconto")
        && matches!(int(d, "tipo"), Some(1..=3))
    {
        let until = text(d, "dataExpiracao")
            .and_then(parse_bb_date)
            .ok_or("desconto.dataExpiracao: data inválida")?;
        if until > due {
            return Err("desconto.dataExpiracao: posterior ao vencimento".into());
        }
    }
    let pix = match text(b, "indicadorPix") {
        None | Some("N") => false,
        Some("S") => true,
        Some(_) => return Err("indicadorPix: deve ser S ou N".into()),
    };
    Ok(Valid {
        numero: numero.to_owned(),
        issue,
        due,
        amount,
        carteira,
        pix,
    })
}

async fn register(
    State(state): State<Shared>,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if let Some(r) = authorize(&state, &headers, &query) {
        return r;
    }
    let Ok(b) = serde_json::from_slice::<Value>(&body) else {
        return erro(
            StatusCode::BAD_REQUEST,
            "4678420",
            "corpo da requisição não é JSON",
        );
    };
    let v = match validate(&b) {
        Ok(v) => v,
        Err(message) => return erro(StatusCode::BAD_REQUEST, "4678420", message),
    };
    let free = match brpay::boleto::banks::banco_do_brasil::free_field_convenio7(
        CONVENIO,
        &v.numero[10..],
        &format!("{:02}", v.carteira % 100),
    ) {
        Ok(f) => f,
        Err(e) => return erro(StatusCode::BAD_REQUEST, "4678420", e.to_string()),
    };
    let code = match brpay::boleto::Boleto::new("001", Some(v.due), v.amount, &free) {
        Ok(c) => c,
        Err(e) => return erro(StatusCode::BAD_REQUEST, "4678420", e.to_string()),
    };
    let qr = if v.pix {
        // A cobv location under BB's Pix host, unique per boleto.
        let url = format!("qrcodepix.bb.com.br/pix/v2/cobv/{}", v.numero);
        let txid = format!("BOLETOBB{}", v.numero);
        match brpay::pix::PixBuilder::with_location(&url)
            .merchant("PROVEDOR EXEMPLO LTDA", "BRASILIA")
            .build()
        {
            Ok(emv) => json!({ "url": url, "txId": txid, "emv": emv }),
            Err(e) => return erro(StatusCode::INTERNAL_SERVER_ERROR, "5000000", e.to_string()),
        }
    } else {
        json!({ "url": "", "txId": "", "emv": "" })
    };
    let mut inner = lock(&state);
    if inner.boletos.contains_key(&v.numero) {
        return erro(
            StatusCode::BAD_REQUEST,
            "4874915",
            "numeroTituloCliente: nosso número já incluído anteriormente",
        );
    }
    inner.boletos.insert(
        v.numero.clone(),
        Boleto {
            numero: v.numero.clone(),
            issue: v.issue,
            due: v.due,
            amount: v.amount,
            line: code.digitable_line.clone(),
            state: 1,
            paid: None,
            canceled_on: None,
        },
    );
    (
        StatusCode::CREATED,
        axum::Json(json!({
            "numero": v.numero,
            "numeroCarteira": v.carteira,
            "numeroVariacaoCarteira": int(&b, "numeroVariacaoCarteira"),
            "codigoCliente": 704_950_143u64,
            "linhaDigitavel": code.digitable_line,
            "codigoBarraNumerico": code.barcode,
            "numeroContratoCobranca": 17_414_296u64,
            "beneficiario": {
                "agencia": AGENCIA.parse::<u64>().unwrap_or(0),
                "contaCorrente": CONTA.parse::<u64>().unwrap_or(0),
                "tipoEndereco": 1,
                "logradouro": "Rua Exemplo, 100",
                "bairro": "Centro",
                "cidade": "BRASILIA",
                "codigoCidade": 5300108,
                "uf": "DF",
                "cep": 70040010,
                "indicadorComprovacao": "S",
            },
            "qrCode": qr,
        })),
    )
        .into_response()
}

async fn detail(
    State(state): State<Shared>,
    Path(id): Path<String>,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Response {
    if let Some(r) = authorize(&state, &headers, &query) {
        return r;
    }
    if query.get("numeroConvenio").map(String::as_str) != Some(CONVENIO) {
        return erro(
            StatusCode::BAD_REQUEST,
            "4678420",
            "numeroConvenio: campo obrigatório ou inválido",
        );
    }
    let inner = lock(&state);
    let Some(b) = inner.boletos.get(&id) else {
        return erro(StatusCode::NOT_FOUND, "4874961", "boleto não encontrado");
    };
    let (paid, received, credited, credit) = match b.paid {
        Some((amount, date)) => (
            reais(amount),
            bb_date(date),
            bb_date(date.saturating_add(1.day())),
            reais(amount - PAYMENT_FEE),
        ),
        None => (reais(0), String::new(), String::new(), reais(0)),
    };
    axum::Json(json!({
        "codigoLinhaDigitavel": b.line,
        "textoEmailPagador": "",
        "textoMensagemBloquetoTitulo": "",
        "codigoTipoMulta": 0,
        "codigoCanalPagamento": 0,
        "numeroContratoCobranca": 17_414_296u64,
        "codigoTipoInscricaoSacado": 1,
        "codigoEstadoTituloCobranca": b.state,
        "codigoTipoTituloCobranca": 2,
        "codigoModalidadeTitulo": 1,
        "codigoAceiteTituloCobranca": "N",
        "codigoPrefixoDependenciaCobrador": 0,
        "dataEmissaoTituloCobranca": bb_date(b.issue),
        "dataVencimentoTituloCobranca": bb_date(b.due),
        "dataRegistroTituloCobranca": bb_date(b.issue),
        "valorOriginalTituloCobranca": reais(b.amount),
        "valorAtualTituloCobranca": reais(b.amount),
        "valorPagoSacado": paid,
        "valorCreditoCedente": credit,
        "valorJuroMoraRecebido": reais(0),
        "valorMultaRecebido": reais(0),
        "dataRecebimentoTitulo": received,
        "dataCreditoLiquidacao": credited,
        "dataBaixaAutomaticoTitulo": b.canceled_on.map(bb_date).unwrap_or_default(),
    }))
    .into_response()
}

async fn list(
    State(state): State<Shared>,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Response {
    if let Some(r) = authorize(&state, &headers, &query) {
        return r;
    }
    let situacao = match query.get("indicadorSituacao").map(String::as_str) {
        Some(s @ ("A" | "B")) => s,
        _ => {
            return erro(
                StatusCode::BAD_REQUEST,
                "4678420",
                "indicadorSituacao: deve ser A (em ser) ou B (baixados/liquidados)",
            );
        }
    };
    let digits = |k: &str| query.get(k).and_then(|v| v.trim().parse::<u64>().ok());
    if digits("agenciaBeneficiario") != AGENCIA.parse().ok()
        || digits("contaBeneficiario") != CONTA.parse().ok()
    {
        return erro(
            StatusCode::BAD_REQUEST,
            "4678420",
            "agenciaBeneficiario/contaBeneficiario: obrigatórios e do beneficiário",
        );
    }
    let date = |k: &str| query.get(k).map(|d| parse_bb_date(d).ok_or(k.to_owned()));
    let from = match date("dataInicioMovimento").transpose() {
        Ok(d) => d,
        Err(k) => {
            return erro(
                StatusCode::BAD_REQUEST,
                "4678420",
                format!("{k}: data inválida"),
            );
        }
    };
    let to = match date("dataFimMovimento").transpose() {
        Ok(d) => d,
        Err(k) => {
            return erro(
                StatusCode::BAD_REQUEST,
                "4678420",
                format!("{k}: data inválida"),
            );
        }
    };
    let estado = digits("codigoEstadoTituloCobranca");
    let index = digits("indice").unwrap_or(0) as usize;
    let inner = lock(&state);
    let mut found: Vec<&Boleto> = inner
        .boletos
        .values()
        .filter(|b| (situacao == "A") == (b.state == 1))
        .filter(|b| estado.is_none_or(|e| e == b.state))
        .filter(|b| {
            let moved = b.paid.map(|p| p.1).or(b.canceled_on).unwrap_or(b.issue);
            from.is_none_or(|f| moved >= f) && to.is_none_or(|t| moved <= t)
        })
        .collect();
    found.sort_by(|a, b| a.numero.cmp(&b.numero));
    if found.len() <= index {
        return erro(StatusCode::NOT_FOUND, "4874961", "nenhum boleto encontrado");
    }
    let page: Vec<Value> = found
        .iter()
        .skip(index)
        .take(inner.page_size)
        .map(|b| {
            let (paid, moved, credited) = match b.paid {
                Some((amount, date)) => (
                    reais(amount),
                    bb_date(date),
                    bb_date(date.saturating_add(1.day())),
                ),
                None => (
                    reais(0),
                    b.canceled_on.map(bb_date).unwrap_or_default(),
                    String::new(),
                ),
            };
            json!({
                "numeroBoletoBB": b.numero,
                "dataRegistro": bb_date(b.issue),
                "dataVencimento": bb_date(b.due),
                "valorOriginal": reais(b.amount),
                "carteiraConvenio": 17,
                "variacaoCarteiraConvenio": 35,
                "codigoEstadoTituloCobranca": b.state,
                "estadoTituloCobranca": client::state_name(b.state),
                "contrato": 17_414_296u64,
                "dataMovimento": moved,
                "dataCredito": credited,
                "valorAtual": reais(b.amount),
                "valorPago": paid,
            })
        })
        .collect();
    let next = index + page.len();
    let more = next < found.len();
    axum::Json(json!({
        "indicadorContinuidade": if more { "S" } else { "N" },
        "quantidadeRegistros": page.len(),
        "proximoIndice": if more { next } else { 0 },
        "boletos": page,
    }))
    .into_response()
}

async fn baixar(
    State(state): State<Shared>,
    Path(id): Path<String>,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if let Some(r) = authorize(&state, &headers, &query) {
        return r;
    }
    let b: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    if int(&b, "numeroConvenio").map(|c| c.to_string()) != Some(CONVENIO.to_owned()) {
        return erro(
            StatusCode::BAD_REQUEST,
            "4678420",
            "numeroConvenio: campo obrigatório ou inválido",
        );
    }
    let mut inner = lock(&state);
    let Some(boleto) = inner.boletos.get_mut(&id) else {
        return erro(StatusCode::NOT_FOUND, "4874961", "boleto não encontrado");
    };
    if boleto.state != 1 {
        return erro(
            StatusCode::BAD_REQUEST,
            "4874970",
            format!(
                "boleto não pode ser baixado: estado {}",
                client::state_name(boleto.state)
            ),
        );
    }
    let today = today();
    boleto.state = 7;
    boleto.canceled_on = Some(today);
    axum::Json(json!({
        "numeroContratoCobranca": "17414296",
        "dataBaixa": bb_date(today),
        "horarioBaixa": "10:00:00",
    }))
    .into_response()
}
