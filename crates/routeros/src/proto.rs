//! Words and sentences given meaning: commands the client sends, replies
//! the router sends.
//!
//! | word            | meaning                                              |
//! |-----------------|------------------------------------------------------|
//! | `/ppp/secret/add` | command (first word of a request)                  |
//! | `=name=value`   | attribute; the value may contain `=`                 |
//! | `.tag=7`        | API attribute (`.tag`, `.section` in replies)        |
//! | `?…`            | query word (see [`crate::Query`])                    |
//! | `!re` `!done` `!trap` `!fatal` `!empty` | reply type (first word of a reply) |

use std::fmt;

use crate::codec::Sentence;
use crate::{Query, Row, text};

/// The kind of a reply sentence.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum ReplyKind {
    /// `!re`: one item of data.
    Re,
    /// `!done`: the command finished (always the last reply to it).
    #[default]
    Done,
    /// `!trap`: the command failed; `!done` follows.
    Trap,
    /// `!fatal`: the router closes the connection.
    Fatal,
    /// `!empty`: the command has no data (RouterOS 7.18+); `!done` follows.
    Empty,
}

impl ReplyKind {
    /// The reply word (`!re`…).
    pub fn word(self) -> &'static str {
        match self {
            ReplyKind::Re => "!re",
            ReplyKind::Done => "!done",
            ReplyKind::Trap => "!trap",
            ReplyKind::Fatal => "!fatal",
            ReplyKind::Empty => "!empty",
        }
    }

    fn from_word(word: &str) -> Option<ReplyKind> {
        Some(match word {
            "!re" => ReplyKind::Re,
            "!done" => ReplyKind::Done,
            "!trap" => ReplyKind::Trap,
            "!fatal" => ReplyKind::Fatal,
            "!empty" => ReplyKind::Empty,
            _ => return None,
        })
    }
}

/// A reply sentence, parsed.
///
/// ```
/// use routeros::codec::Sentence;
/// use routeros::{Reply, ReplyKind};
/// let s = Sentence::from_words(["!re", "=.id=*1", "=comment=a=b", ".tag=4"]);
/// let r = Reply::parse(&s).unwrap();
/// assert_eq!(r.kind, ReplyKind::Re);
/// assert_eq!(r.tag.as_deref(), Some("4"));
/// assert_eq!(r.attributes.get("comment"), Some("a=b"));
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Reply {
    /// `!re`, `!done`…
    pub kind: ReplyKind,
    /// The `.tag` of the command this answers.
    pub tag: Option<String>,
    /// `=key=value` words in order.
    pub attributes: Row,
    /// API attributes other than `.tag` (such as `.section`), in order.
    pub api_attributes: Row,
    /// Words that are neither: the reason `!fatal` gives as a bare word.
    pub text: Vec<String>,
}

impl Reply {
    /// A reply of `kind` with nothing else.
    pub fn new(kind: ReplyKind) -> Reply {
        Reply {
            kind,
            ..Reply::default()
        }
    }

    /// Reads a reply sentence. Errors name the word that is wrong.
    pub fn parse(sentence: &Sentence) -> Result<Reply, ParseError> {
        let words = sentence.words();
        let Some(first) = words.first() else {
            return Err(ParseError::new(0, "", "a reply needs a reply word"));
        };
        let first = text(first);
        let kind = ReplyKind::from_word(&first).ok_or_else(|| {
            let why = if first.starts_with('!') {
                "unknown reply type"
            } else {
                "not a reply (reply words begin with `!`)"
            };
            ParseError::new(0, &first, why)
        })?;
        let mut reply = Reply::new(kind);
        for (i, word) in words.iter().enumerate().skip(1) {
            let word = text(word);
            match classify(&word) {
                Word::Attribute(k, v) => reply.attributes.insert(k, v),
                Word::ApiAttribute("tag", v) => reply.tag = Some(v.to_owned()),
                Word::ApiAttribute(k, v) => reply.api_attributes.insert(format!(".{k}"), v),
                Word::Malformed(why) => return Err(ParseError::new(i, &word, why)),
                Word::Other(t) if kind == ReplyKind::Fatal => reply.text.push(t.to_owned()),
                Word::Other(_) | Word::Query(_) | Word::Command(_) | Word::Reply(_) => {
                    return Err(ParseError::new(i, &word, "unexpected word in a reply"));
                }
            }
        }
        Ok(reply)
    }

    /// The message of a `!trap` or `!fatal`: `=message=`, else the bare
    /// words `!fatal` carries.
    pub fn message(&self) -> String {
        match self.attributes.get("message") {
            Some(m) => m.to_owned(),
            None => self.text.join(" "),
        }
    }

    /// The reply as a sentence (the fake router's side).
    pub fn to_sentence(&self) -> Sentence {
        let mut s = Sentence::new();
        s.push(self.kind.word());
        for (k, v) in self.attributes.iter() {
            s.push(format!("={k}={v}"));
        }
        for (k, v) in self.api_attributes.iter() {
            s.push(format!("{k}={v}"));
        }
        for t in &self.text {
            s.push(t.as_str());
        }
        if let Some(tag) = &self.tag {
            s.push(format!(".tag={tag}"));
        }
        s
    }
}

/// A command sentence: what the client sends, and what the fake router
/// reads.
///
/// ```
/// use routeros::{Command, Query};
/// let c = Command::new("/ppp/secret/print")
///     .query(&Query::new().eq("name", "alice"))
///     .proplist(["name", "profile"])
///     .tag("9");
/// let words: Vec<String> = c.to_sentence().words().iter()
///     .map(|w| String::from_utf8(w.clone()).unwrap()).collect();
/// assert_eq!(words, ["/ppp/secret/print", "=.proplist=name,profile", "?=name=alice", ".tag=9"]);
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Command {
    /// The command word (`/ppp/secret/add`).
    pub name: String,
    /// `=key=value` words, in order (`.proplist` and `.id` among them).
    pub attributes: Row,
    /// Query words, each with its `?`.
    pub query: Query,
    /// `.tag`, when set.
    pub tag: Option<String>,
    /// Other API attributes (none are defined for requests today).
    pub api_attributes: Row,
}

impl Command {
    /// A command with no attributes.
    pub fn new(name: impl Into<String>) -> Command {
        Command {
            name: name.into(),
            ..Command::default()
        }
    }

    /// Adds or replaces an attribute (`=key=value`).
    pub fn attr(mut self, key: impl Into<String>, value: impl Into<String>) -> Command {
        self.attributes.insert(key, value);
        self
    }

    /// Adds attributes.
    pub fn attrs<K: Into<String>, V: Into<String>>(
        mut self,
        attrs: impl IntoIterator<Item = (K, V)>,
    ) -> Command {
        self.attributes.extend(attrs);
        self
    }

    /// Appends query words.
    pub fn query(mut self, query: &Query) -> Command {
        self.query = Query::from_words(self.query.words().iter().chain(query.words()));
        self
    }

    /// Asks for these properties only (`=.proplist=a,b`). An empty list
    /// asks for all.
    pub fn proplist<S: AsRef<str>>(self, names: impl IntoIterator<Item = S>) -> Command {
        let list: Vec<String> = names.into_iter().map(|s| s.as_ref().to_owned()).collect();
        if list.is_empty() {
            self
        } else {
            self.attr(".proplist", list.join(","))
        }
    }

    /// Sets the `.tag` replies will carry.
    pub fn tag(mut self, tag: impl Into<String>) -> Command {
        self.tag = Some(tag.into());
        self
    }

    /// The command as a sentence: command word, attributes, queries, API
    /// attributes, tag.
    pub fn to_sentence(&self) -> Sentence {
        let mut s = Sentence::new();
        s.push(self.name.as_str());
        for (k, v) in self.attributes.iter() {
            s.push(format!("={k}={v}"));
        }
        for q in self.query.words() {
            s.push(q.as_str());
        }
        for (k, v) in self.api_attributes.iter() {
            s.push(format!("{k}={v}"));
        }
        if let Some(tag) = &self.tag {
            s.push(format!(".tag={tag}"));
        }
        s
    }

    /// Reads a command sentence. Errors name the word that is wrong.
    pub fn parse(sentence: &Sentence) -> Result<Command, ParseError> {
        let words = sentence.words();
        let Some(first) = words.first() else {
            return Err(ParseError::new(0, "", "a command needs a command word"));
        };
        let first = text(first);
        if !first.starts_with('/') {
            return Err(ParseError::new(
                0,
                &first,
                "not a command (command words begin with `/`)",
            ));
        }
        let mut command = Command::new(first.into_owned());
        let mut queries = Vec::new();
        for (i, word) in words.iter().enumerate().skip(1) {
            let word = text(word);
            match classify(&word) {
                Word::Attribute(k, v) => command.attributes.insert(k, v),
                Word::ApiAttribute("tag", v) => command.tag = Some(v.to_owned()),
                Word::ApiAttribute(k, v) => command.api_attributes.insert(format!(".{k}"), v),
                // Kept whole: `?` starts every query word, even `??x`.
                Word::Query(_) => queries.push(word.clone().into_owned()),
                Word::Malformed(why) => return Err(ParseError::new(i, &word, why)),
                Word::Other(_) | Word::Command(_) | Word::Reply(_) => {
                    return Err(ParseError::new(i, &word, "unexpected word in a command"));
                }
            }
        }
        command.query = Query::from_words(queries);
        Ok(command)
    }
}

impl fmt::Display for Command {
    /// The command word and attributes, for logs and errors. Values of
    /// `password` and `secret`-like keys are masked.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name)?;
        for (k, v) in self.attributes.iter() {
            if k.contains("password") || k == "secret" || k == "response" {
                write!(f, " ={k}=…")?;
            } else {
                write!(f, " ={k}={v}")?;
            }
        }
        for q in self.query.words() {
            write!(f, " {q}")?;
        }
        Ok(())
    }
}

/// What one word is.
#[derive(Debug, PartialEq, Eq)]
pub enum Word<'a> {
    /// `/path/command`.
    Command(&'a str),
    /// `!re`, `!done`…
    Reply(&'a str),
    /// `=key=value` (key and value).
    Attribute(&'a str, &'a str),
    /// `.key=value` (key without its dot, and value).
    ApiAttribute(&'a str, &'a str),
    /// `?…` (without the `?`).
    Query(&'a str),
    /// A word of none of these shapes (the reason of `!fatal`).
    Other(&'a str),
    /// A word that starts like one of the shapes and breaks it.
    Malformed(&'static str),
}

/// Tells what a word is by its first character.
///
/// ```
/// use routeros::proto::{classify, Word};
/// assert_eq!(classify("=address=10.0.0.1/24"), Word::Attribute("address", "10.0.0.1/24"));
/// assert_eq!(classify("=x=a=b"), Word::Attribute("x", "a=b"));
/// assert_eq!(classify(".tag=3"), Word::ApiAttribute("tag", "3"));
/// ```
pub fn classify(word: &str) -> Word<'_> {
    match word.as_bytes().first() {
        Some(b'/') => Word::Command(word),
        Some(b'!') => Word::Reply(word),
        Some(b'?') => Word::Query(&word[1..]),
        Some(b'=') => match word[1..].split_once('=') {
            Some(("", _)) => Word::Malformed("attribute without a name"),
            Some((k, v)) => Word::Attribute(k, v),
            None => Word::Malformed("attribute without `=` after its name"),
        },
        Some(b'.') => match word[1..].split_once('=') {
            Some(("", _)) => Word::Malformed("API attribute without a name"),
            Some((k, v)) => Word::ApiAttribute(k, v),
            None => Word::Malformed("API attribute without `=` after its name"),
        },
        _ => Word::Other(word),
    }
}

/// A sentence whose words do not make a command or reply.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("word {index} `{word}`: {reason}")]
pub struct ParseError {
    /// Position of the word in its sentence (0 is the first).
    pub index: usize,
    /// The word, cut to 80 characters.
    pub word: String,
    /// What is wrong with it.
    pub reason: &'static str,
}

impl ParseError {
    fn new(index: usize, word: &str, reason: &'static str) -> ParseError {
        ParseError {
            index,
            word: word.chars().take(80).collect(),
            reason,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sentence(words: &[&str]) -> Sentence {
        Sentence::from_words(words.iter().copied())
    }

    /// Replies as the manual shows them.
    #[test]
    fn manual_replies() {
        let r = Reply::parse(&sentence(&[
            "!re",
            "=.id=*5802",
            "=disabled=no",
            "=name=routeros-x86",
            "=scheduled=",
        ]))
        .unwrap();
        assert_eq!(r.kind, ReplyKind::Re);
        assert_eq!(r.attributes.id(), Some("*5802"));
        assert_eq!(r.attributes.get("scheduled"), Some(""));

        let r = Reply::parse(&sentence(&[
            "!trap",
            "=category=0",
            "=message=no such command or directory (adress)",
        ]))
        .unwrap();
        assert_eq!(r.kind, ReplyKind::Trap);
        assert_eq!(r.message(), "no such command or directory (adress)");

        let r = Reply::parse(&sentence(&["!fatal", "session terminated on request"])).unwrap();
        assert_eq!(r.kind, ReplyKind::Fatal);
        assert_eq!(r.message(), "session terminated on request");

        let r = Reply::parse(&sentence(&["!done", "=ret=*3", ".tag=3"])).unwrap();
        assert_eq!((r.kind, r.tag.as_deref()), (ReplyKind::Done, Some("3")));
        assert_eq!(r.attributes.get("ret"), Some("*3"));

        let r = Reply::parse(&sentence(&["!empty", ".tag=5"])).unwrap();
        assert_eq!(r.kind, ReplyKind::Empty);

        let r = Reply::parse(&sentence(&["!re", "=rx-byte=1", ".section=2"])).unwrap();
        assert_eq!(r.api_attributes.get(".section"), Some("2"));
    }

    #[test]
    fn malformed_replies_name_the_word() {
        let cases: &[(&[&str], &str)] = &[
            (
                &["/login"],
                "word 0 `/login`: not a reply (reply words begin with `!`)",
            ),
            (&["!ok"], "word 0 `!ok`: unknown reply type"),
            (
                &["!re", "=name"],
                "word 1 `=name`: attribute without `=` after its name",
            ),
            (&["!re", "==x"], "word 1 `==x`: attribute without a name"),
            (
                &["!done", "stray"],
                "word 1 `stray`: unexpected word in a reply",
            ),
            (
                &["!done", ".tag"],
                "word 1 `.tag`: API attribute without `=` after its name",
            ),
        ];
        for (words, want) in cases {
            assert_eq!(
                Reply::parse(&sentence(words)).unwrap_err().to_string(),
                *want
            );
        }
    }

    #[test]
    fn reply_round_trip() {
        let s = sentence(&["!re", "=.id=*1", "=name=a", ".section=1", ".tag=x"]);
        assert_eq!(Reply::parse(&s).unwrap().to_sentence(), s);
    }

    #[test]
    fn command_round_trip_and_display_masks_passwords() {
        let c = Command::new("/login")
            .attr("name", "admin")
            .attr("password", "s3cret")
            .tag("1");
        let parsed = Command::parse(&c.to_sentence()).unwrap();
        assert_eq!(parsed, c);
        assert_eq!(c.to_string(), "/login =name=admin =password=…");
        assert!(Command::parse(&sentence(&["print"])).is_err());
    }

    /// Seen while writing the reply_parse fuzz target: a query word starting `??`
    /// lost a `?` on the way through `Command`.
    #[test]
    fn query_words_survive_a_round_trip() {
        let s = sentence(&["/x/print", "??x", "?name=a", "?#|"]);
        let c = Command::parse(&s).unwrap();
        assert_eq!(c.query.words(), ["??x", "?name=a", "?#|"]);
        assert_eq!(c.to_sentence(), s);
    }
}
