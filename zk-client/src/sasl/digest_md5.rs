//! The DIGEST-MD5 client (RFC 2831) as ZooKeeper's servers speak it: the client sends an empty
//! first token, answers the server's challenge with `qop=auth` and the fixed digest-uri
//! `zookeeper/zk-sasl-md5`, and checks the server's `rspauth` (mutual authentication: a server
//! that does not know the password cannot produce it). No security layer follows: traffic after
//! the exchange stays plain frames.
//!
//! Written here because no maintained pure-Rust crate offers a DIGEST-MD5 client (the `sasl`
//! crate has PLAIN and SCRAM; `rsasl` 1.x binds GNU gsasl through `unsafe` FFI).

use md5::{Digest, Md5};

use super::Mechanism;

/// The digest-uri ZooKeeper's server accepts (its `protocol/serverName`).
const DIGEST_URI: &str = "zookeeper/zk-sasl-md5";
/// The longest challenge accepted (the server's is ~100 bytes).
const MAX_CHALLENGE: usize = 2048;

enum State {
    /// Sent the (empty) first token; the server's challenge comes next.
    Challenged,
    /// Sent the response; the server's `rspauth` must equal this.
    Responded {
        rspauth: String,
    },
    Done,
}

/// One exchange (one per connection).
pub(crate) struct DigestMd5 {
    username: String,
    password: String,
    /// The client nonce (random; fixed in tests).
    cnonce: String,
    state: State,
}

impl DigestMd5 {
    pub(crate) fn new(username: &str, password: &str, cnonce: String) -> Self {
        DigestMd5 {
            username: username.to_string(),
            password: password.to_string(),
            cnonce,
            state: State::Challenged,
        }
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// RFC 2831 2.1.2.1: with `charset=utf-8`, a string every character of which fits in
/// ISO-8859-1 is hashed as ISO-8859-1, any other as UTF-8.
fn charset_bytes(s: &str) -> Vec<u8> {
    if s.chars().all(|c| u32::from(c) <= 0xFF) {
        s.chars().map(|c| c as u8).collect()
    } else {
        s.as_bytes().to_vec()
    }
}

/// A quoted-string value, with `"` and `\` escaped.
fn quoted(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        if c == '"' || c == '\\' {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('"');
    out
}

/// The directives of a challenge, `key=value` or `key="quoted value"`, comma-separated (the
/// first of a repeated key counts).
fn directives(text: &str) -> Result<Vec<(String, String)>, String> {
    let mut out = Vec::new();
    let mut chars = text.chars().peekable();
    loop {
        while chars.peek().is_some_and(|c| *c == ',' || c.is_whitespace()) {
            chars.next();
        }
        if chars.peek().is_none() {
            return Ok(out);
        }
        let mut key = String::new();
        while let Some(c) = chars.next_if(|c| *c != '=' && *c != ',') {
            key.push(c);
        }
        if chars.next() != Some('=') {
            return Err(format!("directive {key:?} without a value"));
        }
        let mut value = String::new();
        if chars.next_if_eq(&'"').is_some() {
            loop {
                match chars.next() {
                    None => return Err(format!("unterminated quoted value of {key:?}")),
                    Some('"') => break,
                    Some('\\') => match chars.next() {
                        Some(c) => value.push(c),
                        None => return Err(format!("unterminated quoted value of {key:?}")),
                    },
                    Some(c) => value.push(c),
                }
            }
        } else {
            while let Some(c) = chars.next_if(|c| *c != ',') {
                value.push(c);
            }
        }
        out.push((key.trim().to_ascii_lowercase(), value.trim().to_string()));
    }
}

fn first<'a>(d: &'a [(String, String)], key: &str) -> Option<&'a str> {
    d.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str())
}

impl DigestMd5 {
    /// `HEX(MD5(HEX(MD5(A1)) ":" nonce ":" nc ":" cnonce ":auth:" HEX(MD5(A2))))`, md5-sess.
    fn digest(&self, realm: &str, nonce: &str, a2: &str) -> String {
        let mut inner = Md5::new();
        inner.update(charset_bytes(&self.username));
        inner.update(b":");
        inner.update(charset_bytes(realm));
        inner.update(b":");
        inner.update(charset_bytes(&self.password));
        let mut a1 = Md5::new();
        a1.update(inner.finalize());
        a1.update(format!(":{nonce}:{}:{}", self.cnonce, self.username).as_bytes());
        let ha1 = hex(&a1.finalize());
        let ha2 = hex(&Md5::digest(a2.as_bytes()));
        let kd = format!("{ha1}:{nonce}:00000001:{}:auth:{ha2}", self.cnonce);
        hex(&Md5::digest(kd.as_bytes()))
    }

    fn respond(&mut self, challenge: &[u8]) -> Result<Vec<u8>, String> {
        if challenge.len() > MAX_CHALLENGE {
            return Err(format!("a challenge of {} bytes", challenge.len()));
        }
        let text = std::str::from_utf8(challenge).map_err(|_| "a challenge that is not UTF-8")?;
        let d = directives(text)?;
        let nonce = first(&d, "nonce").ok_or("a challenge without a nonce")?;
        match first(&d, "algorithm") {
            Some(a) if a.eq_ignore_ascii_case("md5-sess") => {}
            other => return Err(format!("algorithm {other:?}, not md5-sess")),
        }
        if let Some(qop) = first(&d, "qop") {
            if !qop.split(',').any(|q| q.trim() == "auth") {
                return Err(format!("the server offers qop {qop:?}, not auth"));
            }
        }
        let realm = first(&d, "realm").unwrap_or("");
        let response = self.digest(realm, nonce, &format!("AUTHENTICATE:{DIGEST_URI}"));
        let rspauth = self.digest(realm, nonce, &format!(":{DIGEST_URI}"));
        let message = format!(
            "charset=utf-8,username={},realm={},nonce={},nc=00000001,cnonce={},\
             digest-uri=\"{DIGEST_URI}\",maxbuf=65536,response={response},qop=auth,authzid={}",
            quoted(&self.username),
            quoted(realm),
            quoted(nonce),
            quoted(&self.cnonce),
            quoted(&self.username),
        );
        self.state = State::Responded { rspauth };
        Ok(message.into_bytes())
    }
}

impl Mechanism for DigestMd5 {
    fn step(&mut self, token: Option<&[u8]>) -> Result<Option<Vec<u8>>, String> {
        match std::mem::replace(&mut self.state, State::Done) {
            State::Challenged => {
                let challenge = token.ok_or(
                    "the server sent no challenge (is SASL configured on the server, \
                     with a JAAS Server section?)",
                )?;
                self.respond(challenge).map(Some)
            }
            State::Responded { rspauth } => {
                let text = token.ok_or("the server sent no rspauth")?;
                let d = directives(std::str::from_utf8(text).map_err(|_| "rspauth not UTF-8")?)?;
                if first(&d, "rspauth") == Some(rspauth.as_str()) {
                    Ok(None)
                } else {
                    Err("the server's rspauth is wrong: it does not know the password".into())
                }
            }
            State::Done => Err("a SASL token after the exchange completed".into()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The exchange recorded against ZooKeeper 3.8.0 (shared/reference/SECURITY-QUORUM.md, A5).
    #[test]
    fn the_recorded_exchange_gives_the_recorded_response_and_rspauth() {
        let mut m = DigestMd5::new(
            "bob",
            "bobsecret",
            "isJ0jDtzlY1PdRu/Sc84zgg//SvrfHhphn6kJE2t".into(),
        );
        let challenge = br#"realm="zk-sasl-md5",nonce="5aFZr7VXmogiBkzIRm7rcSXp1YLueeKSKNNGcLX6",charset=utf-8,algorithm=md5-sess"#;
        let response = m.step(Some(challenge)).unwrap().unwrap();
        let response = String::from_utf8(response).unwrap();
        assert!(
            response.contains("response=070a8877d1f6bcb8901512ffe44e15d6,"),
            "{response}"
        );
        assert!(response.contains(r#"digest-uri="zookeeper/zk-sasl-md5""#));
        assert!(response.contains(r#"authzid="bob""#));
        assert_eq!(
            m.step(Some(b"rspauth=a2f2a9f7c8a4df73f46d09df1b4a78a9"))
                .unwrap(),
            None
        );
    }

    #[test]
    fn a_wrong_rspauth_fails_the_exchange() {
        let mut m = DigestMd5::new("bob", "bobsecret", "c".into());
        m.step(Some(br#"realm="r",nonce="n",algorithm=md5-sess"#))
            .unwrap();
        let e = m
            .step(Some(b"rspauth=00000000000000000000000000000000"))
            .unwrap_err();
        assert!(e.contains("does not know the password"), "{e}");
    }

    #[test]
    fn bad_challenges_are_refused_with_a_reason() {
        for (challenge, why) in [
            (&br#"realm="r",algorithm=md5-sess"#[..], "without a nonce"),
            (br#"nonce="n",algorithm=md5"#, "not md5-sess"),
            (br#"nonce="n,algorithm=md5-sess"#, "unterminated"),
            (
                br#"nonce="n",qop="auth-conf",algorithm=md5-sess"#,
                "not auth",
            ),
            (b"\xff\xfe", "not UTF-8"),
            (&[b'a'; 4096][..], "4096 bytes"),
        ] {
            let mut m = DigestMd5::new("u", "p", "c".into());
            let e = m.step(Some(challenge)).unwrap_err();
            assert!(e.contains(why), "{e} (wanted {why})");
        }
        let mut m = DigestMd5::new("u", "p", "c".into());
        let e = m.step(None).unwrap_err();
        assert!(e.contains("no challenge"), "{e}");
    }

    #[test]
    fn quoted_values_are_escaped_and_parsed_back() {
        let q = quoted(r#"a"b\c"#);
        assert_eq!(q, r#""a\"b\\c""#);
        let d = directives(&format!("x={q},y=plain")).unwrap();
        assert_eq!(first(&d, "x"), Some(r#"a"b\c"#));
        assert_eq!(first(&d, "y"), Some("plain"));
    }
}
