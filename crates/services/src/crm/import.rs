//! CSV import of customers and of contracts.
//!
//! A file is read as UTF-8 (with or without a byte-order mark), with `,` or
//! `;` between fields (Brazilian Excel writes `;`), and headers in English or
//! Portuguese (`name`/`nome`, `document`/`cpf_cnpj`, …; accents, case and
//! spacing do not matter). A customers file may also carry the provider's
//! custom fields, each in a column named by the field's key or its label; a
//! required one must have its column and a value on every row. Every row
//! goes through the same rules as the
//! create services ([`crate::crm::prepare`], [`crate::contracts::check_input`]),
//! and duplicates are looked for inside the file and in the database.
//!
//! [`check`] is the dry run: it reports every bad row (line, field, reason).
//! [`import`] checks again and writes only a clean file, all of it in one
//! transaction: nothing is half-imported, and the rows reach the database
//! with multi-row inserts, so 100,000 rows take seconds. (One transaction is
//! the simplest all-or-nothing; on SQLite it holds the single writer for
//! those seconds, which an administrator's import can afford.) Each
//! customer or contract gets its audit entry and timeline event, as if
//! created one by one.

use std::collections::{BTreeMap, HashMap, HashSet};

use domain::contracts::{Status, SuspendReason};
use domain::crm::timeline::EventKind;
use domain::event::{ContractCreated, DomainEvent};
use domain::validate::{self, FieldError};
use domain::{Money, crm::document, crm::search};
use serde_json::json;
use sha2::{Digest, Sha256};
use store::bulk::{self, ContractColumn, NewAddress, NewCustomer, NewTransition};
use store::contracts::Contract;

use crate::contracts::{ContractInput, check_input, loyalty_end};
use crate::crm::access;
use crate::crm::custom_fields::Definition;
use crate::crm::{self, AddressInput, CustomerInput};
use crate::{Actor, Caller, Change, Error, FieldReason, Result, Services};

/// What a file holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    Customers,
    Contracts,
}

impl Kind {
    pub fn parse(s: &str) -> Option<Kind> {
        match s {
            "customers" => Some(Kind::Customers),
            "contracts" => Some(Kind::Contracts),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Customers => "customers",
            Kind::Contracts => "contracts",
        }
    }
}

/// At most this many problems are listed; the rest are only counted.
pub const MAX_PROBLEMS: usize = 1_000;

/// One thing wrong with a row.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Problem {
    /// The line in the file (the header is line 1).
    pub line: u64,
    /// The field (canonical English name) or, for header problems, the column
    /// as written.
    pub field: String,
    /// A `FieldError` code (`cpf`, `required`, … translated as
    /// `invalid-<code>`), `invalid` (see `message`), or one of the import's
    /// own: `duplicate-in-file`, `duplicate-in-database`, `taken`,
    /// `no-customer`, `no-plan`, `unknown-column`, `missing-column`,
    /// `malformed`, `empty` (translated as `import-reason-<code>`).
    pub code: String,
    /// The same in English, with details (the other line, the customer id).
    pub message: String,
}

/// Codes of problems that are the import's own (not field rules).
pub const IMPORT_CODES: &[&str] = &[
    "duplicate-in-file",
    "duplicate-in-database",
    "taken",
    "no-customer",
    "no-plan",
    "unknown-column",
    "missing-column",
    "malformed",
    "empty",
];

/// What a check (and an import) found.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Report {
    pub kind: Kind,
    /// Data rows read (not counting the header).
    pub rows: u64,
    /// Rows without any problem.
    pub good: u64,
    /// The first [`MAX_PROBLEMS`] problems, in line order.
    pub problems: Vec<Problem>,
    /// Problems beyond those listed.
    pub more_problems: u64,
    /// SHA-256 of the file, hex: what a confirmation refers to.
    pub sha256: String,
    /// Rows written ([`import`] of a clean file); 0 for a dry run.
    pub imported: u64,
}

impl Report {
    /// Whether the file can be imported.
    pub fn is_clean(&self) -> bool {
        self.problems.is_empty() && self.more_problems == 0 && self.rows > 0
    }
}

/// The hex SHA-256 of a file.
pub fn sha256(data: &[u8]) -> String {
    hex::encode(Sha256::digest(data))
}

struct Problems {
    list: Vec<Problem>,
    more: u64,
    bad_lines: HashSet<u64>,
}

impl Problems {
    fn new() -> Problems {
        Problems {
            list: Vec::new(),
            more: 0,
            bad_lines: HashSet::new(),
        }
    }

    fn add(&mut self, line: u64, field: &str, code: &str, message: impl Into<String>) {
        self.bad_lines.insert(line);
        if self.list.len() < MAX_PROBLEMS {
            self.list.push(Problem {
                line,
                field: field.to_owned(),
                code: code.to_owned(),
                message: message.into(),
            });
        } else {
            self.more += 1;
        }
    }

    /// A service error about one row.
    fn error(&mut self, line: u64, e: Error) -> Result<()> {
        match e {
            Error::Invalid { field, reason } => {
                let code = reason.code().to_owned();
                let message = match &reason {
                    FieldReason::Rule(r) => format!("{field} {r}"),
                    FieldReason::Message(m) => format!("{field}: {m}"),
                };
                self.add(line, field, &code, message);
                Ok(())
            }
            other => Err(other),
        }
    }
}

/// A column name reduced for matching: folded, words joined by `_`.
fn header_key(h: &str) -> String {
    search::fold(h).replace(' ', "_")
}

const CUSTOMER_COLUMNS: &[(&str, &[&str])] = &[
    ("kind", &["kind", "type", "tipo", "tipo_pessoa", "pessoa"]),
    (
        "name",
        &[
            "name",
            "nome",
            "razao_social",
            "nome_razao_social",
            "cliente",
        ],
    ),
    ("trade_name", &["trade_name", "nome_fantasia", "fantasia"]),
    (
        "document",
        &["document", "documento", "cpf_cnpj", "cpf", "cnpj", "tax_id"],
    ),
    (
        "state_registration",
        &["state_registration", "inscricao_estadual", "ie"],
    ),
    (
        "birth_date",
        &[
            "birth_date",
            "data_nascimento",
            "data_de_nascimento",
            "nascimento",
        ],
    ),
    ("emails", &["email", "emails", "e_mail", "e_mails"]),
    (
        "phones",
        &[
            "phone",
            "phones",
            "telefone",
            "telefones",
            "celular",
            "whatsapp",
            "mobile",
            "fone",
        ],
    ),
    (
        "preferred_channel",
        &["preferred_channel", "canal", "canal_preferido"],
    ),
    (
        "locale",
        &["locale", "language", "idioma", "lingua", "lang"],
    ),
    ("tags", &["tags", "etiquetas", "marcadores"]),
    (
        "street",
        &["street", "logradouro", "endereco", "rua", "address"],
    ),
    ("number", &["number", "numero", "num", "no"]),
    ("complement", &["complement", "complemento"]),
    ("district", &["district", "bairro", "neighborhood"]),
    ("city", &["city", "cidade", "municipio"]),
    ("state", &["state", "uf", "estado"]),
    (
        "postal_code",
        &["postal_code", "cep", "zip", "zip_code", "codigo_postal"],
    ),
    ("lat", &["lat", "latitude"]),
    ("lng", &["lng", "lon", "long", "longitude"]),
    (
        "notes",
        &["notes", "note", "observacoes", "observacao", "obs"],
    ),
];

const CONTRACT_COLUMNS: &[(&str, &[&str])] = &[
    (
        "customer_document",
        &[
            "customer_document",
            "document",
            "documento",
            "cpf_cnpj",
            "cpf",
            "cnpj",
            "documento_cliente",
            "cpf_cnpj_cliente",
        ],
    ),
    ("plan", &["plan", "plan_name", "plano", "nome_plano"]),
    (
        "login",
        &["login", "pppoe_login", "usuario", "usuario_pppoe"],
    ),
    (
        "password",
        &["password", "pppoe_password", "senha", "senha_pppoe"],
    ),
    (
        "billing_day",
        &[
            "billing_day",
            "dia_vencimento",
            "vencimento",
            "dia_de_vencimento",
        ],
    ),
    (
        "start_date",
        &[
            "start_date",
            "data_inicio",
            "inicio",
            "data_de_inicio",
            "ativacao",
        ],
    ),
    ("price", &["price", "preco", "valor", "mensalidade"]),
    ("status", &["status", "situacao"]),
    (
        "suspend_reason",
        &["suspend_reason", "motivo", "motivo_suspensao"],
    ),
    ("mac", &["mac", "endereco_mac"]),
    ("ipv4", &["ipv4", "ip", "ip_fixo"]),
    ("ipv6_prefix", &["ipv6_prefix", "ipv6", "prefixo_ipv6"]),
    (
        "number",
        &[
            "number",
            "contract_number",
            "numero_contrato",
            "contrato",
            "numero",
        ],
    ),
    ("notes", &["notes", "observacoes", "observacao", "obs"]),
];

/// What a column of a file holds.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Column {
    /// A built-in field (its canonical name).
    Field(&'static str),
    /// A custom customer field (its key).
    Custom(String),
}

/// The custom field a column header names: its key or its label, compared
/// like built-in column names.
fn custom_column(key: &str, defs: &[Definition]) -> Option<Column> {
    defs.iter()
        .find(|d| header_key(&d.key) == key || header_key(&d.label) == key)
        .map(|d| Column::Custom(d.key.clone()))
}

/// The file's header mapped to fields, and its records.
struct Table {
    /// Per column: what it holds (`None`: nothing known, already reported).
    fields: Vec<Option<Column>>,
    records: csv::StringRecordsIntoIter<std::io::Cursor<Vec<u8>>>,
    /// The file (BOM removed), and the last byte offset whose line is known:
    /// line numbers are counted here from byte offsets, which stay right
    /// with `\r\n` endings and quoted line breaks.
    data: Vec<u8>,
    offset: usize,
    line: u64,
}

impl Table {
    /// The line of byte `pos` (counting forward from the previous call, so
    /// a whole file costs one pass).
    fn line_at(&mut self, pos: u64) -> u64 {
        let mut pos = (pos as usize).min(self.data.len());
        // With `\r\n` endings a record's position can be the `\n` ending the
        // line before it.
        while self
            .data
            .get(pos)
            .is_some_and(|b| *b == b'\r' || *b == b'\n')
        {
            pos += 1;
        }
        if pos >= self.offset {
            self.line += self.data[self.offset..pos]
                .iter()
                .filter(|b| **b == b'\n')
                .count() as u64;
            self.offset = pos;
        }
        self.line
    }
}

/// The delimiter of a CSV file: whichever of `;` and `,` the header line
/// has more of (outside quotes).
fn delimiter(data: &[u8]) -> u8 {
    let (mut semi, mut comma, mut quoted) = (0, 0, false);
    for &b in data.iter().take_while(|b| **b != b'\n') {
        match b {
            b'"' => quoted = !quoted,
            b';' if !quoted => semi += 1,
            b',' if !quoted => comma += 1,
            _ => {}
        }
    }
    if semi > comma { b';' } else { b',' }
}

/// Reads the header of a file with `columns` (a built-in name wins over a
/// custom field of the same name) and `custom` fields; reports unknown
/// columns and missing `required` ones (required custom fields included).
fn open(
    data: &[u8],
    columns: &[(&'static str, &[&str])],
    required: &[&'static str],
    custom: &[Definition],
    problems: &mut Problems,
) -> Option<Table> {
    let data = data.strip_prefix(b"\xef\xbb\xbf").unwrap_or(data);
    let mut r = csv::ReaderBuilder::new()
        .delimiter(delimiter(data))
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(std::io::Cursor::new(data.to_vec()));
    let header = match r.headers() {
        Ok(h) => h.clone(),
        Err(e) => {
            problems.add(1, "", "malformed", e.to_string());
            return None;
        }
    };
    if header.iter().all(str::is_empty) {
        problems.add(1, "", "empty", "the file has no header line");
        return None;
    }
    let mut fields = Vec::new();
    for h in header.iter() {
        let key = header_key(h);
        let field = columns
            .iter()
            .find(|(_, aliases)| aliases.contains(&key.as_str()))
            .map(|(f, _)| Column::Field(f))
            .or_else(|| custom_column(&key, custom));
        if field.is_none() && !key.is_empty() {
            problems.add(1, h, "unknown-column", format!("unknown column `{h}`"));
        }
        fields.push(field);
    }
    for req in required {
        if !fields.contains(&Some(Column::Field(req))) {
            problems.add(
                1,
                req,
                "missing-column",
                format!("the file has no `{req}` column"),
            );
        }
    }
    for d in custom.iter().filter(|d| d.required) {
        if !fields.contains(&Some(Column::Custom(d.key.clone()))) {
            problems.add(
                1,
                &format!("custom_fields.{}", d.key),
                "missing-column",
                format!(
                    "the file has no column for the required custom field `{}` ({})",
                    d.key, d.label
                ),
            );
        }
    }
    Some(Table {
        fields,
        records: r.into_records(),
        data: data.to_vec(),
        offset: 0,
        line: 1,
    })
}

/// One record as field → values (list fields may come from several
/// columns: `telefone` and `celular`).
struct Row {
    line: u64,
    values: HashMap<&'static str, Vec<String>>,
    /// Custom field key → value (the first non-empty one).
    custom: BTreeMap<String, String>,
}

impl Row {
    fn get(&self, f: &str) -> String {
        self.values
            .get(f)
            .and_then(|v| v.iter().find(|s| !s.is_empty()))
            .cloned()
            .unwrap_or_default()
    }

    /// Every value of a list field, split on the usual separators.
    fn list(&self, f: &str, seps: &[char]) -> Vec<String> {
        self.values
            .get(f)
            .into_iter()
            .flatten()
            .flat_map(|v| v.split(seps))
            .map(|s| s.trim().to_owned())
            .filter(|s| !s.is_empty())
            .collect()
    }
}

/// Reads the next row; `None` at the end. Malformed records are reported and
/// skipped.
fn next_row(t: &mut Table, problems: &mut Problems, rows: &mut u64) -> Option<Row> {
    loop {
        let rec = t.records.next()?;
        *rows += 1;
        match rec {
            Ok(rec) => {
                let line = match rec.position() {
                    Some(p) => t.line_at(p.byte()),
                    None => *rows + 1,
                };
                if rec.iter().all(str::is_empty) {
                    // Blank lines (Excel leaves them at the end) are not rows.
                    *rows -= 1;
                    continue;
                }
                let mut values: HashMap<&'static str, Vec<String>> = HashMap::new();
                let mut custom: BTreeMap<String, String> = BTreeMap::new();
                for (i, v) in rec.iter().enumerate() {
                    match t.fields.get(i) {
                        Some(Some(Column::Field(f))) => {
                            values.entry(f).or_default().push(v.to_owned());
                        }
                        Some(Some(Column::Custom(k))) => {
                            let slot = custom.entry(k.clone()).or_default();
                            if slot.is_empty() {
                                v.clone_into(slot);
                            }
                        }
                        _ => {}
                    }
                }
                return Some(Row {
                    line,
                    values,
                    custom,
                });
            }
            Err(e) => {
                let line = match e.position() {
                    Some(p) => t.line_at(p.byte()),
                    None => *rows + 1,
                };
                let what = match e.kind() {
                    csv::ErrorKind::Utf8 { .. } => "the line is not UTF-8 text".to_owned(),
                    _ => e.to_string(),
                };
                problems.add(line, "", "malformed", what);
            }
        }
    }
}

/// `31/12/1980` → `1980-12-31` (Brazilian spreadsheets); anything else as is
/// for the date rule to judge.
fn iso_date(s: &str) -> String {
    let parts: Vec<&str> = s.trim().split('/').collect();
    match parts.as_slice() {
        [d, m, y] if y.len() == 4 && d.len() <= 2 && m.len() <= 2 => {
            format!("{y}-{m:0>2}-{d:0>2}")
        }
        _ => s.trim().to_owned(),
    }
}

fn person_or_company(kind: &str, doc: &str, country: &str) -> String {
    match search::fold(kind).as_str() {
        "" => match document::parse(country, doc) {
            Ok(d) if d.kind == document::DocKind::Cnpj => "company".into(),
            _ => "person".into(),
        },
        "person" | "pf" | "fisica" | "pessoa fisica" | "individual" => "person".into(),
        "company" | "pj" | "juridica" | "pessoa juridica" | "empresa" | "business" => {
            "company".into()
        }
        other => other.to_owned(),
    }
}

fn coordinate(s: &str) -> Result<Option<f64>> {
    match s.trim() {
        "" => Ok(None),
        v => v
            .replace(',', ".")
            .parse::<f64>()
            .map(Some)
            .map_err(|_| Error::invalid("lat", FieldError::Coordinates)),
    }
}

/// A customer row that passed the rules.
struct GoodCustomer {
    line: u64,
    prepared: crm::Prepared,
    address: Option<store::crm::customers::AddressData>,
    note: String,
}

/// A language column as spreadsheets write it (`pt-BR`, `en`, `Português`,
/// `English`, `inglês`) as the tag the customer form takes; anything else
/// is passed on for the service to refuse, naming the field.
fn language(v: &str) -> String {
    match domain::crm::search::fold(v).trim() {
        "portugues" | "portuguese" | "portugues brasil" => "pt-BR".into(),
        "english" | "ingles" => "en".into(),
        _ => v.trim().to_owned(),
    }
}

fn customer_row(
    row: &Row,
    country: &str,
    today: jiff::civil::Date,
    defs: &[Definition],
) -> Result<GoodCustomer> {
    let doc = row.get("document");
    let input = CustomerInput {
        kind: person_or_company(&row.get("kind"), &doc, country),
        name: row.get("name"),
        trade_name: row.get("trade_name"),
        document: doc,
        document_country: String::new(),
        state_registration: row.get("state_registration"),
        birth_date: iso_date(&row.get("birth_date")),
        emails: row.list("emails", &[',', ';', ' ', '|']),
        phones: row.list("phones", &[',', ';', '/', '|']),
        preferred_channel: row.get("preferred_channel").to_lowercase(),
        locale: language(&row.get("locale")),
        tags: row.list("tags", &[',', ';', '|']),
        custom_fields: row
            .custom
            .iter()
            .map(|(k, v)| {
                // Spreadsheets write dates as 31/12/1980, like birth dates.
                let is_date = defs.iter().any(|d| &d.key == k && d.kind == "date");
                (k.clone(), if is_date { iso_date(v) } else { v.clone() })
            })
            .collect(),
        allow_duplicate: false,
    };
    let prepared = crm::prepare(&input, country, today, defs)?;
    let address_fields = [
        "street",
        "number",
        "complement",
        "district",
        "city",
        "state",
        "postal_code",
        "lat",
        "lng",
    ];
    let address = if address_fields.iter().any(|f| !row.get(f).is_empty()) {
        let a = AddressInput {
            kind: "billing".into(),
            label: String::new(),
            street: row.get("street"),
            number: row.get("number"),
            complement: row.get("complement"),
            district: row.get("district"),
            city: row.get("city"),
            state: row.get("state"),
            postal_code: row.get("postal_code"),
            country: String::new(),
            lat: coordinate(&row.get("lat"))?,
            lng: coordinate(&row.get("lng"))
                .map_err(|_| Error::invalid("lng", FieldError::Coordinates))?,
        };
        Some(crm::prepare_address(&a, country)?)
    } else {
        None
    };
    let note = row.get("notes");
    crate::check("notes", validate::optional_multiline(&note, 10_000))?;
    Ok(GoodCustomer {
        line: row.line,
        prepared,
        address,
        note,
    })
}

/// Field names of lookup-key kinds, for messages.
fn key_field(kind: &str) -> &'static str {
    match kind {
        "document" => "document",
        "email" => "emails",
        _ => "phones",
    }
}

/// Validates a customers file; returns the good rows (meaningful only when
/// the report is clean).
async fn check_customers(
    svc: &Services,
    conn: &mut store::AnyConnection,
    data: &[u8],
    problems: &mut Problems,
) -> Result<(u64, Vec<GoodCustomer>)> {
    let _ = svc;
    let country = crm::installation_country(conn).await?;
    let today = crm::today(conn).await?;
    let defs = crm::field_defs(conn).await?;
    let mut good = Vec::new();
    let mut rows = 0;
    let Some(mut table) = open(
        data,
        CUSTOMER_COLUMNS,
        &["name", "document"],
        &defs,
        problems,
    ) else {
        return Ok((0, good));
    };
    // A required field whose column is missing is reported once, for the
    // header, rather than again on every row.
    let row_defs: Vec<Definition> = defs
        .into_iter()
        .map(|mut d| {
            d.required &= table.fields.contains(&Some(Column::Custom(d.key.clone())));
            d
        })
        .collect();
    // Strong keys (document, e-mail, full E.164 phone) → first line.
    let mut seen: HashMap<(&'static str, String), u64> = HashMap::new();
    while let Some(row) = next_row(&mut table, problems, &mut rows) {
        match customer_row(&row, &country, today, &row_defs) {
            Ok(g) => {
                let mut dup = false;
                for (kind, key) in strong_keys(&g.prepared.keys) {
                    match seen.get(&(kind, key.clone())) {
                        Some(first) if *first != g.line => {
                            dup = true;
                            problems.add(
                                g.line,
                                key_field(kind),
                                "duplicate-in-file",
                                format!("same {kind} as line {first}"),
                            );
                        }
                        Some(_) => {}
                        None => {
                            seen.insert((kind, key), g.line);
                        }
                    }
                }
                if !dup {
                    good.push(g);
                }
            }
            Err(e) => problems.error(row.line, e)?,
        }
    }
    // Against the database, in a few queries for the whole file.
    let keys: Vec<String> = seen.keys().map(|(_, k)| k.clone()).collect();
    let mut existing: HashMap<(String, String), i64> = HashMap::new();
    for k in bulk::keys_matching(conn, &keys).await? {
        existing.entry((k.kind, k.key)).or_insert(k.customer_id);
    }
    if !existing.is_empty() {
        for g in &good {
            for (kind, key) in strong_keys(&g.prepared.keys) {
                if let Some(id) = existing.get(&(kind.to_owned(), key)) {
                    problems.add(
                        g.line,
                        key_field(kind),
                        "duplicate-in-database",
                        format!("customer #{id} has the same {kind}"),
                    );
                }
            }
        }
    }
    Ok((rows, good))
}

/// The keys that identify a customer: like the create service, national
/// phone digits do not count (they may collide abroad).
fn strong_keys(keys: &[(&'static str, String)]) -> Vec<(&'static str, String)> {
    let mut out: Vec<(&'static str, String)> = Vec::new();
    for (k, v) in keys {
        if (*k != "phone" || v.len() > 11) && !out.iter().any(|(a, b)| a == k && b == v) {
            out.push((k, v.clone()));
        }
    }
    out
}

fn report(kind: Kind, data: &[u8], rows: u64, problems: Problems) -> Report {
    let mut list = problems.list;
    list.sort_by_key(|p| p.line);
    Report {
        kind,
        rows,
        // Header problems (line 1) spoil the file, not a row.
        good: rows.saturating_sub(problems.bad_lines.iter().filter(|l| **l > 1).count() as u64),
        problems: list,
        more_problems: problems.more,
        sha256: sha256(data),
        imported: 0,
    }
}

/// The dry run: every problem of the file, nothing written.
pub async fn check(svc: &Services, caller: &Caller, kind: Kind, data: &[u8]) -> Result<Report> {
    access::import(caller)?;
    let mut conn = svc.db.conn().await?;
    let mut problems = Problems::new();
    let rows = match kind {
        Kind::Customers => {
            check_customers(svc, &mut conn, data, &mut problems)
                .await?
                .0
        }
        Kind::Contracts => {
            check_contracts(svc, &mut conn, data, &mut problems)
                .await?
                .0
        }
    };
    Ok(report(kind, data, rows, problems))
}

/// Checks the file again and, when it is clean, writes all of it in one
/// transaction. A file with problems writes nothing: the report says why
/// (`imported` = 0).
pub async fn import(svc: &Services, caller: &Caller, kind: Kind, data: &[u8]) -> Result<Report> {
    access::import(caller)?;
    let actor = &caller.actor();
    let engine = svc.db.engine();
    let mut tx = svc.db.begin().await?;
    let mut problems = Problems::new();
    let imported = match kind {
        Kind::Customers => {
            let (rows, good) = check_customers(svc, &mut tx, data, &mut problems).await?;
            let r = report(kind, data, rows, problems);
            if !r.is_clean() {
                return Ok(r);
            }
            write_customers(&mut tx, engine, actor, good).await?;
            r
        }
        Kind::Contracts => {
            let (rows, good) = check_contracts(svc, &mut tx, data, &mut problems).await?;
            let r = report(kind, data, rows, problems);
            if !r.is_clean() {
                return Ok(r);
            }
            write_contracts(svc, &mut tx, engine, actor, good).await?;
            r
        }
    };
    tx.commit().await?;
    if imported.rows >= 1_000 {
        let mut c = svc.db.conn().await?;
        bulk::analyze(&mut c, engine).await?;
    }
    Ok(Report {
        imported: imported.rows,
        ..imported
    })
}

async fn write_customers(
    tx: &mut store::WriteTx,
    engine: store::Engine,
    actor: &Actor,
    good: Vec<GoodCustomer>,
) -> Result<()> {
    let now = store::now();
    let n = good.len() as i64;
    let first = bulk::reserve_ids(tx, engine, "customers", n).await?;
    let with_address = good.iter().filter(|g| g.address.is_some()).count() as i64;
    let mut next_address =
        bulk::reserve_ids(tx, engine, "customer_addresses", with_address).await?;
    let mut customers = Vec::with_capacity(good.len());
    let mut addresses = Vec::new();
    let mut notes = Vec::new();
    let mut changes = Vec::with_capacity(good.len());
    for (i, g) in good.into_iter().enumerate() {
        let id = first + i as i64;
        let d = &g.prepared.data;
        changes.push(
            Change::new("customer.import", "customer", id)
                .after(json!({
                    "id": id, "kind": d.kind, "name": d.name, "trade_name": d.trade_name,
                    "document": d.document, "emails": d.emails, "phones": d.phones,
                    "tags": d.tags, "custom_fields": d.custom_fields, "import_line": g.line,
                }))
                .timeline(
                    id,
                    EventKind::CustomerCreated,
                    format!("Customer {} imported (line {})", d.name, g.line),
                )
                .timeline_data(json!({ "name": d.name, "import_line": g.line })),
        );
        if let Some(a) = g.address {
            addresses.push(NewAddress {
                id: next_address,
                customer_id: id,
                data: a,
                created_at: now,
            });
            next_address += 1;
        }
        if !g.note.is_empty() {
            notes.push((id, g.note, now));
        }
        customers.push(NewCustomer {
            id,
            data: g.prepared.data,
            keys: g.prepared.keys,
            created_at: now,
        });
    }
    bulk::insert_customers(tx, &customers).await?;
    bulk::insert_addresses(tx, &addresses).await?;
    bulk::insert_notes(tx, actor, &notes).await?;
    crate::change::record_all(tx, engine, actor, &changes).await?;
    Ok(())
}

/// A contract row that passed the rules (customer and plan found).
struct GoodContract {
    line: u64,
    customer_id: i64,
    plan: store::catalog::Plan,
    input: ContractInput,
    checked: crate::contracts::Checked,
    start: jiff::civil::Date,
    status: Status,
    reason: Option<SuspendReason>,
}

fn parse_status(s: &str) -> Option<Status> {
    match search::fold(s).as_str() {
        ""
        | "pending installation"
        | "pending"
        | "aguardando instalacao"
        | "pendente"
        | "aguardando" => Some(Status::PendingInstallation),
        "active" | "ativo" | "ativa" => Some(Status::Active),
        "suspended" | "suspenso" | "suspensa" | "bloqueado" => Some(Status::Suspended),
        "canceled" | "cancelled" | "cancelado" | "cancelada" => Some(Status::Canceled),
        _ => None,
    }
}

fn parse_reason(s: &str) -> Option<Option<SuspendReason>> {
    match search::fold(s).as_str() {
        "" => Some(None),
        "non payment" | "inadimplencia" | "falta de pagamento" => {
            Some(Some(SuspendReason::NonPayment))
        }
        "customer request" | "pedido do cliente" | "solicitacao do cliente" | "a pedido" => {
            Some(Some(SuspendReason::CustomerRequest))
        }
        "administrative" | "administrativo" | "administrativa" => {
            Some(Some(SuspendReason::Administrative))
        }
        _ => None,
    }
}

/// The row's fields that need no database, as the contract service reads
/// them (customer and plan are resolved afterwards).
fn contract_row(
    row: &Row,
    today: jiff::civil::Date,
    decimals: u32,
) -> Result<(
    ContractInput,
    crate::contracts::Checked,
    jiff::civil::Date,
    Status,
    Option<SuspendReason>,
)> {
    let price = match row.get("price").as_str() {
        "" => None,
        p => Some(Money::parse(p, decimals).map_err(|e| Error::invalid("price", e))?),
    };
    let billing_day = match row.get("billing_day").as_str() {
        "" => return Err(Error::invalid("billing_day", FieldError::Required)),
        d => d
            .parse::<i64>()
            .map_err(|_| Error::invalid("billing_day", FieldError::Range))?,
    };
    let start = match iso_date(&row.get("start_date")).as_str() {
        "" => today,
        s => validate::date(s).map_err(|e| Error::invalid("start_date", e))?,
    };
    let input = ContractInput {
        customer_id: 0,
        plan_id: 0,
        price,
        billing_day,
        start_date: start.to_string(),
        service_address_id: None,
        login: row.get("login"),
        password: row.get("password"),
        mac: row.get("mac"),
        ipv4: row.get("ipv4"),
        ipv6_prefix: row.get("ipv6_prefix"),
        number: row.get("number"),
        notes: row.get("notes"),
        items: Vec::new(),
        promo_code: String::new(),
        installation_installments: 1,
    };
    let checked = check_input(&input)?;
    let status =
        parse_status(&row.get("status")).ok_or(Error::invalid("status", FieldError::Choice))?;
    let reason = parse_reason(&row.get("suspend_reason"))
        .ok_or(Error::invalid("suspend_reason", FieldError::Choice))?;
    match (status, reason) {
        (Status::Suspended, None) => {
            return Err(Error::invalid("suspend_reason", FieldError::Required));
        }
        (s, Some(_)) if s != Status::Suspended => {
            return Err(Error::invalid("suspend_reason", FieldError::Choice));
        }
        _ => {}
    }
    Ok((input, checked, start, status, reason))
}

async fn check_contracts(
    svc: &Services,
    conn: &mut store::AnyConnection,
    data: &[u8],
    problems: &mut Problems,
) -> Result<(u64, Vec<GoodContract>)> {
    let _ = svc;
    let today = crm::today(conn).await?;
    // Prices are written in the installation's currency.
    let decimals = domain::money::minor_units(&crm::installation_currency(conn).await?);
    let plans = store::catalog::list(conn, true, false).await?;
    let mut rows = 0;
    let mut parsed = Vec::new();
    let Some(mut table) = open(
        data,
        CONTRACT_COLUMNS,
        &["customer_document", "plan", "billing_day"],
        &[],
        problems,
    ) else {
        return Ok((0, Vec::new()));
    };
    let mut documents: HashSet<String> = HashSet::new();
    while let Some(row) = next_row(&mut table, problems, &mut rows) {
        let doc = document::normalize(&row.get("customer_document"));
        if doc.is_empty() {
            problems.add(
                row.line,
                "customer_document",
                FieldError::Required.code(),
                "customer_document is required",
            );
            continue;
        }
        let plan_key = search::fold(&row.get("plan"));
        let plan = plans
            .iter()
            .find(|p| p.active && search::fold(&p.name) == plan_key)
            .cloned();
        let Some(plan) = plan else {
            problems.add(
                row.line,
                "plan",
                "no-plan",
                format!("no active plan named `{}`", row.get("plan")),
            );
            continue;
        };
        match contract_row(&row, today, decimals) {
            Ok((input, checked, start, status, reason)) => {
                documents.insert(doc.clone());
                parsed.push((row.line, doc, plan, input, checked, start, status, reason));
            }
            Err(e) => problems.error(row.line, e)?,
        }
    }
    let docs: Vec<String> = documents.into_iter().collect();
    let mut customers: HashMap<String, i64> = HashMap::new();
    for (d, id) in bulk::customers_by_document(conn, &docs).await? {
        customers.entry(d).or_insert(id);
    }
    // Unique columns: inside the file, then against the database.
    let mut taken: HashMap<ContractColumn, HashSet<String>> = HashMap::new();
    for col in [
        ContractColumn::Number,
        ContractColumn::Login,
        ContractColumn::Ipv4,
        ContractColumn::Ipv6Prefix,
    ] {
        let values: Vec<String> = parsed
            .iter()
            .filter_map(|p| unique_value(col, &p.4, &p.3))
            .collect();
        let found = bulk::contract_values_taken(conn, col, &values).await?;
        taken.insert(col, found.into_iter().collect());
    }
    let mut seen: HashMap<(ContractColumn, String), u64> = HashMap::new();
    let mut good = Vec::new();
    for (line, doc, plan, input, checked, start, status, reason) in parsed {
        let Some(&customer_id) = customers.get(&doc) else {
            problems.add(
                line,
                "customer_document",
                "no-customer",
                format!("no customer has the document {doc}"),
            );
            continue;
        };
        let mut ok = true;
        for col in [
            ContractColumn::Number,
            ContractColumn::Login,
            ContractColumn::Ipv4,
            ContractColumn::Ipv6Prefix,
        ] {
            let Some(v) = unique_value(col, &checked, &input) else {
                continue;
            };
            let field = column_field(col);
            if let Some(first) = seen.get(&(col, v.clone())) {
                ok = false;
                problems.add(
                    line,
                    field,
                    "duplicate-in-file",
                    format!("same {field} as line {first}"),
                );
            } else {
                seen.insert((col, v.clone()), line);
            }
            if taken.get(&col).is_some_and(|t| t.contains(&v)) {
                ok = false;
                problems.add(
                    line,
                    field,
                    "taken",
                    format!("{field} {v} is already in use"),
                );
            }
        }
        if ok {
            good.push(GoodContract {
                line,
                customer_id,
                plan,
                input,
                checked,
                start,
                status,
                reason,
            });
        }
    }
    Ok((rows, good))
}

fn unique_value(
    col: ContractColumn,
    checked: &crate::contracts::Checked,
    input: &ContractInput,
) -> Option<String> {
    let v = match col {
        ContractColumn::Number => Some(input.number.trim().to_owned()),
        ContractColumn::Login => Some(checked.login.clone()),
        ContractColumn::Ipv4 => checked.ipv4.clone(),
        ContractColumn::Ipv6Prefix => checked.ipv6.clone(),
    };
    v.filter(|s| !s.is_empty())
}

fn column_field(col: ContractColumn) -> &'static str {
    match col {
        ContractColumn::Number => "number",
        ContractColumn::Login => "login",
        ContractColumn::Ipv4 => "ipv4",
        ContractColumn::Ipv6Prefix => "ipv6_prefix",
    }
}

async fn write_contracts(
    svc: &Services,
    tx: &mut store::WriteTx,
    engine: store::Engine,
    actor: &Actor,
    good: Vec<GoodContract>,
) -> Result<()> {
    let now = store::now();
    // Logins and numbers the file left empty: generated like the contract
    // service does, avoiding the file's own and the database's.
    let mut logins: HashSet<String> = good
        .iter()
        .map(|g| g.checked.login.clone())
        .filter(|l| !l.is_empty())
        .collect();
    let mut numbers: HashSet<String> = good
        .iter()
        .map(|g| g.input.number.trim().to_owned())
        .filter(|n| !n.is_empty())
        .collect();
    let need_numbers = good
        .iter()
        .filter(|g| g.input.number.trim().is_empty())
        .count();
    let mut fresh_numbers = Vec::with_capacity(need_numbers);
    while fresh_numbers.len() < need_numbers {
        let want = (need_numbers - fresh_numbers.len()) as i64;
        let first = bulk::reserve_counter(tx, "contract_number", want).await?;
        let candidates: Vec<String> = (first..first + want).map(|n| format!("{n:06}")).collect();
        let used: HashSet<String> =
            bulk::contract_values_taken(tx, ContractColumn::Number, &candidates)
                .await?
                .into_iter()
                .collect();
        for c in candidates {
            if !used.contains(&c) && numbers.insert(c.clone()) {
                fresh_numbers.push(c);
            }
        }
    }
    let mut fresh_numbers = fresh_numbers.into_iter();
    let ids_first = bulk::reserve_ids(tx, engine, "contracts", good.len() as i64).await?;
    let names: HashMap<i64, String> = {
        let ids: Vec<i64> = good
            .iter()
            .filter(|g| g.checked.login.is_empty())
            .map(|g| g.customer_id)
            .collect();
        let mut m = HashMap::new();
        for chunk in ids.chunks(500) {
            for c in store::crm::customers::get_many(tx, chunk).await? {
                m.insert(c.id, c.name);
            }
        }
        m
    };
    let mut rows = Vec::with_capacity(good.len());
    let mut transitions = Vec::new();
    let mut changes = Vec::with_capacity(good.len());
    for (i, g) in good.into_iter().enumerate() {
        let id = ids_first + i as i64;
        let login = if g.checked.login.is_empty() {
            let base = domain::contracts::login_from_name(
                names.get(&g.customer_id).map(String::as_str).unwrap_or(""),
            );
            let mut candidate = base.clone();
            let mut n = 1;
            while logins.contains(&candidate)
                || store::contracts::login_exists(tx, &candidate).await?
            {
                n += 1;
                candidate = format!("{base}{n}");
            }
            logins.insert(candidate.clone());
            candidate
        } else {
            g.checked.login.clone()
        };
        let number = match g.input.number.trim() {
            "" => fresh_numbers
                .next()
                .ok_or_else(|| Error::Internal("contract numbers ran out".into()))?,
            n => n.to_owned(),
        };
        let event = DomainEvent::from(ContractCreated {
            contract_id: id,
            customer_id: g.customer_id,
            plan_id: g.plan.id,
            status: g.status,
            login: login.clone(),
            number: number.clone(),
            plan: g.plan.name.clone(),
            import_line: Some(g.line),
        });
        let summary = format!(
            "Contract {number} imported on plan {} ({})",
            g.plan.name,
            g.status.as_str()
        );
        if g.status != Status::PendingInstallation {
            // The file states where the contract is; history says how.
            transitions.push(NewTransition {
                contract_id: id,
                from: Status::PendingInstallation.as_str(),
                to: g.status.as_str(),
                reason: g.reason.map(|r| r.as_str()),
                note: format!("import, line {}", g.line),
                at: now,
            });
        }
        let row = Contract {
            id,
            number,
            customer_id: g.customer_id,
            plan_id: g.plan.id,
            price: g.input.price.map(Money::minor).unwrap_or(g.plan.price),
            installation_fee: g.plan.installation_fee,
            billing_day: g.input.billing_day,
            start_date: g.start.to_string(),
            end_date: (g.status == Status::Canceled).then(|| g.start.to_string()),
            loyalty_end_date: loyalty_end(&g.plan, g.start)?,
            early_termination_fee: g.plan.early_termination_fee,
            status: g.status.as_str().to_owned(),
            suspend_reason: g.reason.map(|r| r.as_str().to_owned()),
            status_changed_at: now,
            service_address_id: None,
            pppoe_login: login,
            pppoe_password: svc.secrets.encrypt(&g.checked.password),
            mac: g.checked.mac,
            ipv4: g.checked.ipv4,
            ipv6_prefix: g.checked.ipv6,
            notes: g.input.notes.trim().to_owned(),
            created_at: now,
            updated_at: now,
        };
        // The timeline line's details are the event's payload.
        changes.push(
            Change::new("contract.import", "contract", id)
                .after(serde_json::to_value(&row).unwrap_or_default())
                .event(event)
                .timeline(g.customer_id, EventKind::ContractCreated, summary),
        );
        rows.push(row);
    }
    bulk::insert_contracts(tx, &rows).await?;
    bulk::insert_transitions(tx, actor, &transitions).await?;
    crate::change::record_all(tx, engine, actor, &changes).await?;
    Ok(())
}

/// How long a checked file waits for its confirmation.
pub const STASH_SECS: u64 = 3_600;

fn stash_dir(svc: &Services) -> std::path::PathBuf {
    svc.data_dir.join("imports")
}

fn is_sha256(s: &str) -> bool {
    s.len() == 64
        && s.bytes()
            .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
}

/// Keeps a checked file on this node's disk, named by its SHA-256, until it
/// is confirmed or expires (older files are removed here); returns the hash.
/// The confirmation then imports exactly the bytes that were checked.
pub fn stash(svc: &Services, caller: &Caller, kind: Kind, data: &[u8]) -> Result<String> {
    access::import(caller)?;
    let dir = stash_dir(svc);
    let io = |e: std::io::Error| Error::Internal(format!("{}: {e}", dir.display()));
    store::files::create_dir_all(&dir).map_err(io)?;
    if let Ok(entries) = std::fs::read_dir(&dir) {
        for e in entries.flatten() {
            let old = e
                .metadata()
                .and_then(|m| m.modified())
                .ok()
                .and_then(|t| t.elapsed().ok())
                .is_some_and(|age| age.as_secs() > STASH_SECS);
            if old {
                let _ = std::fs::remove_file(e.path());
            }
        }
    }
    let sha = sha256(data);
    store::files::write(&dir.join(format!("{}-{sha}.csv", kind.as_str())), data).map_err(io)?;
    Ok(sha)
}

/// The stashed file with this hash, if it has not expired.
pub fn stashed(svc: &Services, caller: &Caller, kind: Kind, sha: &str) -> Result<Vec<u8>> {
    access::import(caller)?;
    if !is_sha256(sha) {
        return Err(Error::NotFound);
    }
    let path = stash_dir(svc).join(format!("{}-{sha}.csv", kind.as_str()));
    let fresh = std::fs::metadata(&path)
        .and_then(|m| m.modified())
        .ok()
        .and_then(|t| t.elapsed().ok())
        .is_some_and(|age| age.as_secs() <= STASH_SECS);
    if !fresh {
        return Err(Error::NotFound);
    }
    let data = std::fs::read(&path).map_err(|_| Error::NotFound)?;
    // The name says what was checked; the bytes must still be that.
    if sha256(&data) != sha {
        return Err(Error::NotFound);
    }
    Ok(data)
}

/// Forgets a stashed file (after its import).
pub fn discard(svc: &Services, caller: &Caller, kind: Kind, sha: &str) -> Result<()> {
    access::import(caller)?;
    if is_sha256(sha) {
        // Already gone (expired, or imported on another tab) is fine.
        let _ = std::fs::remove_file(stash_dir(svc).join(format!("{}-{sha}.csv", kind.as_str())));
    }
    Ok(())
}
