//! What a QuorumPacket says, by type (`Leader.java`'s constants): its name, and its `data`
//! decoded (a transaction, a LearnerInfo, a session table, ...).

use jute::{Decode, Reader};
use jute_schemas::quorum::{LearnerInfo, QuorumPacket};
use jute_schemas::txn::{TxnDigest, TxnHeader};
use serde_json::{json, Value as Json};

use super::stream::limits;
use crate::ondisk::txn::{self, TxnBody};
use crate::show;

/// The name of a packet type (`Leader.getPacketType`'s spelling).
pub fn type_name(ty: i32) -> &'static str {
    match ty {
        1 => "REQUEST",
        2 => "PROPOSAL",
        3 => "ACK",
        4 => "COMMIT",
        5 => "PING",
        6 => "REVALIDATE",
        7 => "SYNC",
        8 => "INFORM",
        9 => "COMMITANDACTIVATE",
        10 => "NEWLEADER",
        11 => "FOLLOWERINFO",
        12 => "UPTODATE",
        13 => "DIFF",
        14 => "TRUNC",
        15 => "SNAP",
        16 => "OBSERVERINFO",
        17 => "LEADERINFO",
        18 => "ACKEPOCH",
        19 => "INFORMANDACTIVATE",
        _ => "UNKNOWN",
    }
}

/// A transaction carried by a PROPOSAL or INFORM (`Util.marshallTxnEntry`).
#[derive(Debug, Clone, PartialEq)]
pub struct Txn {
    /// Session, client xid, zxid, time, type.
    pub header: TxnHeader,
    /// The record.
    pub body: TxnBody,
    /// The tree digest after it, when digests are on.
    pub digest: Option<TxnDigest>,
}

/// A packet's `data`, decoded.
#[derive(Debug, Clone, PartialEq)]
pub struct Described {
    /// One line for people: `create /a session=0x... cxid=3`.
    pub text: String,
    /// The same for `--json`.
    pub json: Json,
    /// The transaction of a PROPOSAL, INFORM or INFORMANDACTIVATE.
    pub txn: Option<Txn>,
}

/// Decodes `p.data` as its type and direction say; an `Err` names what did not decode.
pub fn describe(p: &QuorumPacket, from_leader: bool) -> Result<Described, String> {
    let data = p.data.as_deref().unwrap_or_default();
    let mut r = Reader::with_limits(data, limits());
    let plain = |text: String, json: Json| Described {
        text,
        json,
        txn: None,
    };
    let described = match p.r#type {
        1 => request(&mut r)?,
        2 | 8 => txn_entry(data)?,
        19 => {
            let leader: i64 = decode(&mut r, "designated leader")?;
            let mut d = txn_entry(r.rest())?;
            d.text = format!("leader={leader} {}", d.text);
            if let Json::Object(o) = &mut d.json {
                o.insert("designated_leader".into(), json!(leader));
            }
            return Ok(d);
        }
        5 if !from_leader && p.data.is_some() => {
            // The learner's session table: (session id, timeout) pairs.
            if !data.len().is_multiple_of(12) {
                return Err(format!(
                    "PING reply of {} bytes, not whole (id, timeout) pairs",
                    data.len()
                ));
            }
            let n = data.len() / 12;
            r.take(data.len()).map_err(|e| e.to_string())?;
            plain(format!("sessions={n}"), json!({ "sessions": n }))
        }
        6 if from_leader => {
            let session: i64 = decode(&mut r, "session id")?;
            let valid: bool = decode(&mut r, "valid")?;
            plain(
                format!("session={session:#x} valid={valid}"),
                json!({ "session": format!("{session:#x}"), "valid": valid }),
            )
        }
        6 => {
            let session: i64 = decode(&mut r, "session id")?;
            let timeout: i32 = decode(&mut r, "timeout")?;
            plain(
                format!("session={session:#x} timeout={timeout}"),
                json!({ "session": format!("{session:#x}"), "timeout": timeout }),
            )
        }
        9 => {
            let leader: i64 = decode(&mut r, "designated leader")?;
            plain(
                format!("leader={leader}"),
                json!({ "designated_leader": leader }),
            )
        }
        10 if p.data.is_some() => {
            // The quorum verifier's configuration text.
            let text = String::from_utf8_lossy(data);
            let servers = text.lines().filter(|l| l.starts_with("server.")).count();
            let version = text
                .lines()
                .find_map(|l| l.strip_prefix("version="))
                .unwrap_or("")
                .to_string();
            r.take(data.len()).map_err(|e| e.to_string())?;
            plain(
                format!("config: {servers} servers, version={version}"),
                json!({ "servers": servers, "config_version": version, "config": text }),
            )
        }
        11 | 16 => {
            let info: LearnerInfo = decode(&mut r, "LearnerInfo")?;
            plain(
                format!(
                    "sid={} protocol={:#x} config={:#x}",
                    info.serverid, info.protocol_version, info.config_version
                ),
                json!({
                    "sid": info.serverid,
                    "protocol": info.protocol_version,
                    "config_version": format!("{:#x}", info.config_version),
                }),
            )
        }
        17 => {
            let protocol: i32 = decode(&mut r, "protocol version")?;
            plain(
                format!("protocol={protocol:#x}"),
                json!({ "protocol": protocol }),
            )
        }
        18 => {
            let epoch: i32 = decode(&mut r, "epoch")?;
            plain(format!("epoch={epoch}"), json!({ "epoch": epoch }))
        }
        _ => plain(String::new(), Json::Null),
    };
    if !r.is_empty() && !matches!(p.r#type, 1 | 2 | 8) {
        return Err(format!(
            "{} unexpected bytes after the {} data",
            r.remaining(),
            type_name(p.r#type)
        ));
    }
    Ok(described)
}

fn decode<'a, T: Decode<'a>>(r: &mut Reader<'a>, what: &str) -> Result<T, String> {
    T::decode(r).map_err(|e| format!("bad {what}: {e}"))
}

/// A learner forwarding a client's request: session id, cxid, op type, then the request
/// record as the client sent it.
fn request(r: &mut Reader<'_>) -> Result<Described, String> {
    let session: i64 = decode(r, "session id")?;
    let cxid: i32 = decode(r, "cxid")?;
    let op: i32 = decode(r, "request type")?;
    let rest = r.rest();
    r.take(rest.len()).map_err(|e| e.to_string())?;
    let mut json = json!({ "session": format!("{session:#x}"), "cxid": cxid, "op": op });
    let (name, path) = match op {
        // createSession carries the timeout; closeSession nothing.
        -10 => ("createSession".to_string(), None),
        -11 => ("closeSession".to_string(), None),
        _ => {
            let mut frame = Vec::with_capacity(8 + rest.len());
            frame.extend(cxid.to_be_bytes());
            frame.extend(op.to_be_bytes());
            frame.extend(rest);
            let req = jute_schemas::protocol::decode_request(&frame, limits())
                .map_err(|e| format!("bad forwarded request (op {op}): {e}"))?;
            let op_name = jute_schemas::protocol::OpCode::try_from(op)
                .map(|o| o.name().to_string())
                .unwrap_or_else(|_| format!("op{op}"));
            (op_name, req.body.path().map(str::to_string))
        }
    };
    if let Json::Object(o) = &mut json {
        o.insert("op".into(), json!(name));
        if let Some(p) = &path {
            o.insert("path".into(), json!(p));
        }
    }
    let mut text = name.to_string();
    if let Some(p) = &path {
        text.push(' ');
        text.push_str(&show::escape(p));
    }
    text.push_str(&format!(" session={session:#x} cxid={cxid}"));
    Ok(Described {
        text,
        json,
        txn: None,
    })
}

/// TxnHeader, the record its type implies, and a TxnDigest when 12 bytes remain.
fn txn_entry(data: &[u8]) -> Result<Described, String> {
    let mut r = Reader::with_limits(data, limits());
    let header: TxnHeader = decode(&mut r, "TxnHeader")?;
    let at = r.position();
    let (body, used) = txn::decode(header.r#type, &data[at..])
        .map_err(|e| format!("bad {} record: {e}", txn::type_name(header.r#type)))?;
    let after = &data[at + used..];
    let digest = match after.len() {
        0 => None,
        12 => Some(
            jute::from_slice_with::<TxnDigest>(after, limits())
                .map_err(|e| format!("bad TxnDigest: {e}"))?,
        ),
        n => return Err(format!("{n} unexpected bytes after the transaction")),
    };
    let name = txn::type_name(header.r#type);
    let paths = body.paths();
    let mut text = name.clone();
    for p in &paths {
        text.push(' ');
        text.push_str(&show::escape(p));
    }
    if let TxnBody::Error(e) = &body {
        text.push_str(&format!(" err={}", e.err));
    }
    text.push_str(&format!(
        " session={:#x} cxid={}",
        header.client_id, header.cxid
    ));
    let json = json!({
        "txn_type": name,
        "session": format!("{:#x}", header.client_id),
        "cxid": header.cxid,
        "txn_zxid": format!("{:#x}", header.zxid),
        "time": show::time_ms(header.time),
        "paths": paths,
        "txn": jute::json::to_json(&body.to_value()),
        "digest": digest.as_ref().map(|d| json!({ "version": d.version, "tree_digest": d.tree_digest })),
    });
    Ok(Described {
        text,
        json,
        txn: Some(Txn {
            header,
            body,
            digest,
        }),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(s: &str) -> Vec<u8> {
        jute::json::hex_decode(s).unwrap()
    }

    fn packet(bytes: &[u8]) -> QuorumPacket {
        jute::from_slice(bytes).unwrap()
    }

    #[test]
    fn the_reference_frames_decode() {
        // SECURITY-QUORUM.md C4: a FOLLOWERINFO.
        let p = packet(&hex("0000000b 0000000000000000 00000014 0000000000000002 00010000 0000000000000000 ffffffff"));
        let d = describe(&p, false).unwrap();
        assert_eq!(d.text, "sid=2 protocol=0x10000 config=0x0");
        // C5: a PROPOSAL of createSession, with its digest.
        let p = packet(&hex("00000002 0000000100000001 00000030 01000061a3ee0000 00000000 0000000100000001 000001a207c6dda2 fffffff6 00001770 00000002 0000000051c6d660 ffffffff"));
        let d = describe(&p, true).unwrap();
        assert_eq!(d.text, "createSession session=0x1000061a3ee0000 cxid=0");
        let txn = d.txn.unwrap();
        assert_eq!(txn.header.zxid, 0x1_0000_0001);
        assert_eq!(txn.digest.map(|d| d.version), Some(2));
        // C4: a REQUEST forwarding a create.
        let p = packet(&hex("00000001 ffffffffffffffff 00000044 04000061bc4f0000 00000001 00000001 0000000d 2f712f61667465722d6d6f7665 ffffffff 00000001 0000001f 00000005 776f726c64 00000006 616e796f6e65 00000002 00000001 00000002 6970 00000009 3132372e302e302e31"));
        let d = describe(&p, false).unwrap();
        assert_eq!(
            d.text,
            "create /q/after-move session=0x4000061bc4f0000 cxid=1"
        );
    }

    #[test]
    fn data_that_does_not_fit_its_type_is_named() {
        let p = QuorumPacket {
            r#type: 17,
            zxid: 1 << 32,
            data: Some(vec![0, 1]),
            authinfo: None,
        };
        let e = describe(&p, true).unwrap_err();
        assert!(e.starts_with("bad protocol version"), "{e}");
        let p = QuorumPacket {
            r#type: 5,
            zxid: 1,
            data: Some(vec![0; 13]),
            authinfo: None,
        };
        assert!(describe(&p, false).unwrap_err().contains("not whole"));
        let p = QuorumPacket {
            r#type: 18,
            zxid: 1,
            data: Some(vec![0; 6]),
            authinfo: None,
        };
        assert_eq!(
            describe(&p, false).unwrap_err(),
            "2 unexpected bytes after the ACKEPOCH data"
        );
    }
}
