//! One transaction's record, by `TxnHeader.type` (as `SerializeUtils.deserializeTxn`).

use jute::{Decode, Reader, ToValue, Value};
use jute_schemas::txn::{
    CheckVersionTxn, CloseSessionTxn, CreateContainerTxn, CreateSessionTxn, CreateTTLTxn,
    CreateTxn, CreateTxnV0, DeleteTxn, ErrorTxn, MultiTxn, SetACLTxn, SetDataTxn,
};

use super::limits;

/// A decoded transaction body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TxnBody {
    /// -10.
    CreateSession(CreateSessionTxn),
    /// -11 (older logs carry no record).
    CloseSession(Option<CloseSessionTxn>),
    /// 1 create, 15 create2.
    Create(CreateTxn),
    /// An old create without `parentCVersion`.
    CreateV0(CreateTxnV0),
    /// 21.
    CreateTtl(CreateTTLTxn),
    /// 19.
    CreateContainer(CreateContainerTxn),
    /// 2 delete, 20 deleteContainer.
    Delete(DeleteTxn),
    /// 5 setData, 16 reconfig.
    SetData(SetDataTxn),
    /// 7.
    SetAcl(SetACLTxn),
    /// 13 (inside a multi).
    Check(CheckVersionTxn),
    /// -1: a failed write.
    Error(ErrorTxn),
    /// 14: the sub-transactions, each with its type.
    Multi(Vec<(i32, TxnBody)>),
    /// No record (e.g. createSession in some versions) or a type this reader does not know.
    Raw(Vec<u8>),
}

/// The name ZooKeeper's tools print for a transaction type.
pub fn type_name(ty: i32) -> String {
    match ty {
        -10 => "createSession".into(),
        -11 => "closeSession".into(),
        -1 => "error".into(),
        1 => "create".into(),
        2 => "delete".into(),
        5 => "setData".into(),
        7 => "setACL".into(),
        13 => "check".into(),
        14 => "multi".into(),
        15 => "create2".into(),
        16 => "reconfig".into(),
        19 => "createContainer".into(),
        20 => "deleteContainer".into(),
        21 => "createTTL".into(),
        other => format!("type{other}"),
    }
}

fn whole<'a, T: Decode<'a>>(bytes: &'a [u8]) -> Result<(T, usize), String> {
    let mut r = Reader::with_limits(bytes, limits());
    let v = T::decode(&mut r).map_err(|e| e.to_string())?;
    Ok((v, r.position()))
}

/// Decodes the record of a transaction of type `ty` from the start of `bytes`; returns it and
/// how many bytes it took.
pub fn decode(ty: i32, bytes: &[u8]) -> Result<(TxnBody, usize), String> {
    match ty {
        -10 if bytes.is_empty() => Ok((TxnBody::Raw(Vec::new()), 0)),
        -10 => whole(bytes).map(|(t, n)| (TxnBody::CreateSession(t), n)),
        -11 if bytes.is_empty() => Ok((TxnBody::CloseSession(None), 0)),
        -11 => whole(bytes).map(|(t, n)| (TxnBody::CloseSession(Some(t)), n)),
        1 | 15 => match whole::<CreateTxn>(bytes) {
            Ok((t, n)) => Ok((TxnBody::Create(t), n)),
            Err(_) => whole(bytes).map(|(t, n)| (TxnBody::CreateV0(t), n)),
        },
        21 => whole(bytes).map(|(t, n)| (TxnBody::CreateTtl(t), n)),
        19 => whole(bytes).map(|(t, n)| (TxnBody::CreateContainer(t), n)),
        2 | 20 => whole(bytes).map(|(t, n)| (TxnBody::Delete(t), n)),
        5 | 16 => whole(bytes).map(|(t, n)| (TxnBody::SetData(t), n)),
        7 => whole(bytes).map(|(t, n)| (TxnBody::SetAcl(t), n)),
        13 => whole(bytes).map(|(t, n)| (TxnBody::Check(t), n)),
        -1 => whole(bytes).map(|(t, n)| (TxnBody::Error(t), n)),
        14 => {
            let (multi, n) = whole::<MultiTxn>(bytes)?;
            let mut ops = Vec::new();
            for (i, op) in multi.txns.unwrap_or_default().into_iter().enumerate() {
                // ZooKeeper never nests a multi; refusing one keeps decoding from recursing
                // (and copying) once per level of a crafted file.
                if op.r#type == 14 {
                    return Err(format!("multi op {i}: a multi inside a multi"));
                }
                let data = op.data.unwrap_or_default();
                let (body, used) =
                    decode(op.r#type, &data).map_err(|e| format!("multi op {i}: {e}"))?;
                if used != data.len() {
                    return Err(format!(
                        "multi op {i} ({}): {} bytes left over",
                        type_name(op.r#type),
                        data.len() - used
                    ));
                }
                ops.push((op.r#type, body));
            }
            Ok((TxnBody::Multi(ops), n))
        }
        _ => Ok((TxnBody::Raw(bytes.to_vec()), bytes.len())),
    }
}

impl TxnBody {
    /// The record's bytes, as ZooKeeper serializes it into a log entry (a multi's operations
    /// each as a `Txn` of its type and bytes; an old close without a record, none).
    pub fn to_bytes(&self) -> Vec<u8> {
        use jute::Encode;
        let mut out = Vec::new();
        match self {
            TxnBody::CreateSession(t) => t.encode(&mut out),
            TxnBody::CloseSession(Some(t)) => t.encode(&mut out),
            TxnBody::CloseSession(None) => {}
            TxnBody::Create(t) => t.encode(&mut out),
            TxnBody::CreateV0(t) => t.encode(&mut out),
            TxnBody::CreateTtl(t) => t.encode(&mut out),
            TxnBody::CreateContainer(t) => t.encode(&mut out),
            TxnBody::Delete(t) => t.encode(&mut out),
            TxnBody::SetData(t) => t.encode(&mut out),
            TxnBody::SetAcl(t) => t.encode(&mut out),
            TxnBody::Check(t) => t.encode(&mut out),
            TxnBody::Error(t) => t.encode(&mut out),
            TxnBody::Multi(ops) => MultiTxn {
                txns: Some(
                    ops.iter()
                        .map(|(ty, body)| jute_schemas::txn::Txn {
                            r#type: *ty,
                            data: Some(body.to_bytes()),
                        })
                        .collect(),
                ),
            }
            .encode(&mut out),
            TxnBody::Raw(bytes) => out.extend_from_slice(bytes),
        }
        out
    }

    /// The main path the transaction touches, if any.
    pub fn path(&self) -> Option<&str> {
        match self {
            TxnBody::Create(t) => t.path.as_deref(),
            TxnBody::CreateV0(t) => t.path.as_deref(),
            TxnBody::CreateTtl(t) => t.path.as_deref(),
            TxnBody::CreateContainer(t) => t.path.as_deref(),
            TxnBody::Delete(t) => t.path.as_deref(),
            TxnBody::SetData(t) => t.path.as_deref(),
            TxnBody::SetAcl(t) => t.path.as_deref(),
            TxnBody::Check(t) => t.path.as_deref(),
            _ => None,
        }
    }

    /// Every path the transaction touches (a multi's included).
    pub fn paths(&self) -> Vec<&str> {
        match self {
            TxnBody::Multi(ops) => ops.iter().flat_map(|(_, b)| b.paths()).collect(),
            TxnBody::CloseSession(Some(c)) => c
                .paths2_delete
                .iter()
                .flatten()
                .map(String::as_str)
                .collect(),
            other => other.path().into_iter().collect(),
        }
    }

    /// The record as a dynamic value (for JSON).
    pub fn to_value(&self) -> Value {
        match self {
            TxnBody::CreateSession(t) => t.to_value(),
            TxnBody::CloseSession(Some(t)) => t.to_value(),
            TxnBody::CloseSession(None) => Value::Null,
            TxnBody::Create(t) => t.to_value(),
            TxnBody::CreateV0(t) => t.to_value(),
            TxnBody::CreateTtl(t) => t.to_value(),
            TxnBody::CreateContainer(t) => t.to_value(),
            TxnBody::Delete(t) => t.to_value(),
            TxnBody::SetData(t) => t.to_value(),
            TxnBody::SetAcl(t) => t.to_value(),
            TxnBody::Check(t) => t.to_value(),
            TxnBody::Error(t) => t.to_value(),
            TxnBody::Multi(ops) => Value::Vector(
                ops.iter()
                    .map(|(ty, b)| {
                        Value::Record(vec![
                            ("type".into(), Value::Int(*ty)),
                            ("txn".into(), b.to_value()),
                        ])
                    })
                    .collect(),
            ),
            TxnBody::Raw(b) => Value::Buffer(b.clone()),
        }
    }
}

#[cfg(test)]
mod tests {
    use jute::Record;
    use jute_schemas::txn::{MultiTxn, Txn};

    use super::*;

    #[test]
    fn a_multi_inside_a_multi_is_refused_at_any_depth() {
        let mut bytes = MultiTxn { txns: Some(vec![]) }.to_vec();
        for _ in 0..2_000 {
            bytes = MultiTxn {
                txns: Some(vec![Txn {
                    r#type: 14,
                    data: Some(bytes),
                }]),
            }
            .to_vec();
        }
        let e = decode(14, &bytes).unwrap_err();
        assert_eq!(e, "multi op 0: a multi inside a multi");
        // One level of ops is fine.
        let ok = MultiTxn {
            txns: Some(vec![Txn {
                r#type: 2,
                data: Some(
                    jute_schemas::txn::DeleteTxn {
                        path: Some("/a".into()),
                    }
                    .to_vec(),
                ),
            }]),
        }
        .to_vec();
        assert!(matches!(decode(14, &ok), Ok((TxnBody::Multi(ops), _)) if ops.len() == 1));
    }
}
