//! multi and multiRead: a loop of `MultiHeader` + record, closed by a header with `done` set
//! (not a Jute vector).

use jute::{Decode, DecodeError, DecodeErrorKind, Encode, Reader, ToValue, Value};

use super::request::RequestBody;
use super::response::ResponseBody;
use super::OpCode;
use crate::proto::MultiHeader;

/// One operation of a multi request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MultiOp {
    /// Type (the op code), `done = false`, `err = -1` as the Java client writes it.
    pub header: MultiHeader,
    /// The op's request record.
    pub body: RequestBody,
}

/// The body of a multi or multiRead request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MultiRequest {
    /// The operations in order.
    pub ops: Vec<MultiOp>,
    /// The terminator (`type = -1, done = true, err = -1`).
    pub end: MultiHeader,
}

/// One result of a multi response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MultiResult {
    /// Result type (an op code, or -1 for an error) and error code.
    pub header: MultiHeader,
    /// The result record (`ErrorResponse` for type -1; nothing for delete and check).
    pub body: ResponseBody,
}

/// The body of a multi or multiRead response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MultiResponse {
    /// One result per operation.
    pub results: Vec<MultiResult>,
    /// The terminator.
    pub end: MultiHeader,
}

/// The terminator Java writes.
pub(crate) const END: MultiHeader = MultiHeader {
    r#type: -1,
    done: true,
    err: -1,
};

fn read_until_done<T>(
    r: &mut Reader<'_>,
    allowed: fn(OpCode) -> bool,
    mut item: impl FnMut(MultiHeader, OpCode, &mut Reader<'_>) -> Result<T, DecodeError>,
) -> Result<(Vec<T>, MultiHeader), DecodeError> {
    let mut items = Vec::new();
    loop {
        let header = MultiHeader::decode(r)?;
        if header.done {
            return Ok((items, header));
        }
        let at = r.position() - 9;
        let op = OpCode::try_from(header.r#type).map_err(|k| DecodeError::new(k, at))?;
        // Checked before the op's record is read: ZooKeeper never nests a multi, and refusing
        // one here keeps decoding from recursing on input-controlled depth.
        if !allowed(op) {
            return Err(DecodeError::new(
                DecodeErrorKind::Invalid(format!("{} cannot be part of a multi", op.name())),
                at,
            )
            .within("multi", Some(op_label(items.len()))));
        }
        let index = items.len();
        items.push(item(header, op, r).map_err(|e| e.within("multi", Some(op_label(index))))?);
    }
}

fn op_label(index: usize) -> &'static str {
    const LABELS: [&str; 8] = [
        "op[0]", "op[1]", "op[2]", "op[3]", "op[4]", "op[5]", "op[6]", "op[7]",
    ];
    LABELS.get(index).copied().unwrap_or("op[8+]")
}

/// The op types a multi or multiRead may hold (`MultiOperationRecord` in the server); a result
/// may also be of type -1 (an error).
fn allowed_in_multi(op: OpCode) -> bool {
    matches!(
        op,
        OpCode::Create
            | OpCode::Create2
            | OpCode::CreateContainer
            | OpCode::CreateTtl
            | OpCode::Delete
            | OpCode::SetData
            | OpCode::Check
            | OpCode::GetChildren
            | OpCode::GetData
    )
}

impl MultiRequest {
    /// Reads ops until the terminator.
    pub fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        let (ops, end) = read_until_done(r, allowed_in_multi, |header, op, r| {
            Ok(MultiOp {
                header,
                body: RequestBody::decode(op, r)?,
            })
        })?;
        Ok(MultiRequest { ops, end })
    }
}

impl MultiResponse {
    /// Reads results until the terminator. Results of type -1 carry an `ErrorResponse`.
    pub fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        let allowed = |op| allowed_in_multi(op) || op == OpCode::Error;
        let (results, end) = read_until_done(r, allowed, |header, op, r| {
            Ok(MultiResult {
                header,
                body: ResponseBody::decode(op, r)?,
            })
        })?;
        Ok(MultiResponse { results, end })
    }
}

impl Encode for MultiRequest {
    fn encode<B: jute::bytes::BufMut + ?Sized>(&self, buf: &mut B) {
        for op in &self.ops {
            op.header.encode(buf);
            op.body.encode(buf);
        }
        self.end.encode(buf);
    }
    fn encoded_len(&self) -> usize {
        self.ops
            .iter()
            .map(|o| o.header.encoded_len() + o.body.encoded_len())
            .sum::<usize>()
            + self.end.encoded_len()
    }
}

impl Encode for MultiResponse {
    fn encode<B: jute::bytes::BufMut + ?Sized>(&self, buf: &mut B) {
        for res in &self.results {
            res.header.encode(buf);
            res.body.encode(buf);
        }
        self.end.encode(buf);
    }
    fn encoded_len(&self) -> usize {
        self.results
            .iter()
            .map(|o| o.header.encoded_len() + o.body.encoded_len())
            .sum::<usize>()
            + self.end.encoded_len()
    }
}

fn pair(header: &MultiHeader, body: &dyn ToValue) -> Value {
    Value::Record(vec![
        ("header".into(), header.to_value()),
        ("body".into(), body.to_value()),
    ])
}

impl ToValue for MultiRequest {
    fn to_value(&self) -> Value {
        Value::Vector(self.ops.iter().map(|o| pair(&o.header, &o.body)).collect())
    }
}

impl ToValue for MultiResponse {
    fn to_value(&self) -> Value {
        Value::Vector(
            self.results
                .iter()
                .map(|o| pair(&o.header, &o.body))
                .collect(),
        )
    }
}

impl Default for MultiRequest {
    fn default() -> Self {
        MultiRequest {
            ops: Vec::new(),
            end: END,
        }
    }
}
