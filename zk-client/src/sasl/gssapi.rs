//! The GSSAPI (Kerberos 5) client of RFC 4752 as ZooKeeper's servers speak it, on the system's
//! MIT Kerberos through the `libgssapi` crate:
//!
//! 1. The client sends the initial context token (a krb5 AP-REQ for the server's service
//!    principal), asking for mutual authentication; the server answers with its AP-REP, which
//!    the client checks, and the client sends an empty token to say the context is up.
//! 2. The server sends a wrapped 4-byte offer of security layers; the client unwraps it and
//!    answers, wrapped, "no security layer, no buffer" followed by its own name as the
//!    authorization id (ZooKeeper never negotiates a layer: traffic after SASL stays plain).
//! 3. The server replies with a *null* token: the exchange is over.
//!
//! Credentials come from the process's Kerberos environment, as with every GSSAPI program:
//! the credential cache (`KRB5CCNAME`, filled by `kinit`), or the client keytab
//! (`KRB5_CLIENT_KTNAME`, or `default_client_keytab_name` in `krb5.conf`), from which MIT
//! Kerberos obtains a ticket itself. `krb5.conf` (`KRB5_CONFIG`) names the realms and KDCs.

use libgssapi::context::{ClientCtx, CtxFlags, SecurityContext};
use libgssapi::credential::{Cred, CredUsage};
use libgssapi::name::Name;
use libgssapi::oid::{OidSet, GSS_MECH_KRB5, GSS_NT_HOSTBASED_SERVICE, GSS_NT_KRB5_PRINCIPAL};

use super::Mechanism;

/// The longest token accepted from the server (an AP-REP or a wrap token is well under 1 KiB;
/// ZooKeeper's own limit on SASL tokens is far larger, but nothing legitimate comes close).
const MAX_TOKEN: usize = 64 * 1024;

/// RFC 4752 3.3: the "no security layer" bit of the layer octet.
const NO_SECURITY_LAYER: u8 = 1;

/// Which Kerberos identities one exchange uses; see [`super::GssapiOptions`].
#[derive(Debug, Clone)]
pub(crate) struct Identities {
    /// The client principal (`zkcli@EXAMPLE.COM`), or the credential cache's default.
    pub client: Option<String>,
    /// The server's principal (`zookeeper/zk1.example.com@EXAMPLE.COM`, realm optional), or
    /// `None` for the host-based service `<service>@<host>`.
    pub server: Option<String>,
    /// The service part of the host-based name (`zookeeper`).
    pub service: String,
}

enum Stage {
    /// Setting up the security context (AP-REQ / AP-REP).
    Context,
    /// The context is up; the server's wrapped layer offer comes next.
    Layers,
    /// Sent the wrapped answer; a null token ends the exchange.
    Answered,
}

/// One exchange (one per connection).
pub(crate) struct Gssapi {
    ctx: ClientCtx,
    stage: Stage,
}

fn gss(what: &str) -> impl Fn(libgssapi::error::Error) -> String + '_ {
    move |e| format!("GSSAPI: {what}: {}", e.to_string().trim())
}

impl Gssapi {
    /// Acquires the client's credentials and starts a context with the server at `host`.
    /// Blocks: with a keytab, and for the service ticket, MIT Kerberos asks the KDC.
    pub(crate) fn start(ids: &Identities, host: &str) -> Result<(Self, Vec<u8>), String> {
        let mut mechs = OidSet::new();
        mechs
            .add(GSS_MECH_KRB5)
            .map_err(gss("making the mechanism set"))?;
        let client = match &ids.client {
            None => None,
            Some(p) => Some(
                Name::new(p.as_bytes(), Some(GSS_NT_KRB5_PRINCIPAL))
                    .map_err(gss(&format!("the client principal {p:?}")))?,
            ),
        };
        let who = ids.client.as_deref().unwrap_or("the default principal");
        let cred = Cred::acquire(client.as_ref(), None, CredUsage::Initiate, Some(&mechs))
            .map_err(gss(&format!("no Kerberos credentials for {who}")))?;
        let target = match &ids.server {
            Some(p) => Name::new(p.as_bytes(), Some(GSS_NT_KRB5_PRINCIPAL))
                .map_err(gss(&format!("the server principal {p:?}")))?,
            None => {
                // IPv6 literals come bracketed from the connect string.
                let host = host.trim_matches(|c| c == '[' || c == ']');
                let name = format!("{}@{host}", ids.service);
                Name::new(name.as_bytes(), Some(GSS_NT_HOSTBASED_SERVICE))
                    .map_err(gss(&format!("the service name {name:?}")))?
            }
        };
        let target_text = target.to_string();
        let mut ctx = ClientCtx::new(
            Some(cred),
            target,
            CtxFlags::GSS_C_MUTUAL_FLAG,
            Some(GSS_MECH_KRB5),
        );
        let token = ctx
            .step(None, None)
            .map_err(gss(&format!("{who} asking for a ticket to {target_text}")))?
            .map(|b| b.to_vec())
            .ok_or_else(|| "GSSAPI: the mechanism produced no initial token".to_string())?;
        let stage = if ctx.is_complete() {
            Stage::Layers
        } else {
            Stage::Context
        };
        Ok((Gssapi { ctx, stage }, token))
    }

    /// The server's layer offer, unwrapped, answered with "no layer" and our name.
    fn answer_layers(&mut self, token: &[u8]) -> Result<Vec<u8>, String> {
        let offer = self
            .ctx
            .unwrap(token)
            .map_err(gss("unwrapping the server's security-layer offer"))?;
        let [layers, _, _, _] = offer[..] else {
            return Err(format!(
                "GSSAPI: the server's security-layer offer has {} bytes, not 4",
                offer.len()
            ));
        };
        if layers & NO_SECURITY_LAYER == 0 {
            return Err(format!(
                "GSSAPI: the server requires a SASL security layer (offer {layers:#04x}); \
                 ZooKeeper servers never do"
            ));
        }
        let me = self
            .ctx
            .source_name()
            .map_err(gss("reading our own name"))?
            .to_string();
        let mut answer = vec![NO_SECURITY_LAYER, 0, 0, 0];
        answer.extend_from_slice(me.as_bytes());
        let wrapped = self
            .ctx
            .wrap(false, &answer)
            .map_err(gss("wrapping the answer"))?;
        Ok(wrapped.to_vec())
    }
}

impl Mechanism for Gssapi {
    fn step(&mut self, token: Option<&[u8]>) -> Result<Option<Vec<u8>>, String> {
        if token.is_some_and(|t| t.len() > MAX_TOKEN) {
            return Err(format!(
                "GSSAPI: a server token over {MAX_TOKEN} bytes ({})",
                token.map_or(0, <[u8]>::len)
            ));
        }
        match self.stage {
            Stage::Context => {
                let Some(token) = token else {
                    return Err("GSSAPI: the server sent no token while the Kerberos \
                                context was being set up"
                        .into());
                };
                let next = self
                    .ctx
                    .step(Some(token), None)
                    .map_err(gss("checking the server's answer (AP-REP)"))?;
                if self.ctx.is_complete() {
                    self.stage = Stage::Layers;
                }
                // An empty token when the context is up and the mechanism has nothing more
                // to say: the server then sends its layer offer.
                Ok(Some(next.map(|b| b.to_vec()).unwrap_or_default()))
            }
            Stage::Layers => {
                let Some(token) = token else {
                    return Err("GSSAPI: the server sent no security-layer offer".into());
                };
                let answer = self.answer_layers(token)?;
                self.stage = Stage::Answered;
                Ok(Some(answer))
            }
            Stage::Answered => match token {
                None => Ok(None),
                Some(t) => Err(format!(
                    "GSSAPI: the server sent a {}-byte token after the exchange, where \
                     ZooKeeper sends none",
                    t.len()
                )),
            },
        }
    }
}
