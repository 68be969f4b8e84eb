//! Every record by name, with type-erased decode/encode through [`Value`]s: what tools use
//! to work on a record they know only by its Jute name.

use jute::{
    Decode, DecodeError, FromValue, Limits, Record, RecordSchema, ToValue, Value, ValueError,
};

use crate::{data, persistence, proto, quorum, txn};

/// One record of `zookeeper.jute` and the typed code behind it.
#[derive(Clone, Copy)]
pub struct RecordInfo {
    /// The record's schema.
    pub schema: RecordSchema,
    decode: fn(&[u8], Limits) -> Result<Value, DecodeError>,
    encode: fn(&Value) -> Result<Vec<u8>, ValueError>,
}

impl RecordInfo {
    /// `module.Name`.
    pub fn qualified_name(&self) -> String {
        self.schema.qualified_name()
    }

    /// Decodes `bytes` (which must hold exactly one record) with the typed decoder.
    pub fn decode_value(&self, bytes: &[u8], limits: Limits) -> Result<Value, DecodeError> {
        (self.decode)(bytes, limits)
    }

    /// Builds the typed record from `value` and encodes it.
    pub fn encode_value(&self, value: &Value) -> Result<Vec<u8>, ValueError> {
        (self.encode)(value)
    }
}

impl std::fmt::Debug for RecordInfo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RecordInfo")
            .field("schema", &self.schema)
            .finish_non_exhaustive()
    }
}

fn decode_as<R>(bytes: &[u8], limits: Limits) -> Result<Value, DecodeError>
where
    R: Record + ToValue + for<'de> Decode<'de>,
{
    jute::from_slice_with::<R>(bytes, limits).map(|r| r.to_value())
}

fn encode_as<R: Record + FromValue>(value: &Value) -> Result<Vec<u8>, ValueError> {
    R::from_value(value).map(|r| r.to_vec())
}

const fn info<R>() -> RecordInfo
where
    R: Record + ToValue + FromValue + for<'de> Decode<'de>,
{
    RecordInfo {
        schema: R::SCHEMA,
        decode: decode_as::<R>,
        encode: encode_as::<R>,
    }
}

/// All 72 records of ZooKeeper 3.9's `zookeeper.jute`, in file order.
pub static RECORDS: [RecordInfo; 72] = [
    info::<data::Id>(),
    info::<data::ACL>(),
    info::<data::Stat>(),
    info::<data::StatPersisted>(),
    info::<data::ClientInfo>(),
    info::<proto::ConnectRequest>(),
    info::<proto::ConnectResponse>(),
    info::<proto::SetWatches>(),
    info::<proto::SetWatches2>(),
    info::<proto::RequestHeader>(),
    info::<proto::MultiHeader>(),
    info::<proto::AuthPacket>(),
    info::<proto::ReplyHeader>(),
    info::<proto::GetDataRequest>(),
    info::<proto::SetDataRequest>(),
    info::<proto::ReconfigRequest>(),
    info::<proto::SetDataResponse>(),
    info::<proto::GetSASLRequest>(),
    info::<proto::SetSASLRequest>(),
    info::<proto::SetSASLResponse>(),
    info::<proto::CreateRequest>(),
    info::<proto::CreateTTLRequest>(),
    info::<proto::DeleteRequest>(),
    info::<proto::GetChildrenRequest>(),
    info::<proto::GetAllChildrenNumberRequest>(),
    info::<proto::GetChildren2Request>(),
    info::<proto::CheckVersionRequest>(),
    info::<proto::GetMaxChildrenRequest>(),
    info::<proto::GetMaxChildrenResponse>(),
    info::<proto::SetMaxChildrenRequest>(),
    info::<proto::SyncRequest>(),
    info::<proto::SyncResponse>(),
    info::<proto::GetACLRequest>(),
    info::<proto::SetACLRequest>(),
    info::<proto::SetACLResponse>(),
    info::<proto::AddWatchRequest>(),
    info::<proto::WatcherEvent>(),
    info::<proto::ErrorResponse>(),
    info::<proto::CreateResponse>(),
    info::<proto::Create2Response>(),
    info::<proto::ExistsRequest>(),
    info::<proto::ExistsResponse>(),
    info::<proto::GetDataResponse>(),
    info::<proto::GetChildrenResponse>(),
    info::<proto::GetAllChildrenNumberResponse>(),
    info::<proto::GetChildren2Response>(),
    info::<proto::GetACLResponse>(),
    info::<proto::CheckWatchesRequest>(),
    info::<proto::RemoveWatchesRequest>(),
    info::<proto::GetEphemeralsRequest>(),
    info::<proto::GetEphemeralsResponse>(),
    info::<proto::WhoAmIResponse>(),
    info::<quorum::LearnerInfo>(),
    info::<quorum::QuorumPacket>(),
    info::<quorum::QuorumAuthPacket>(),
    info::<persistence::FileHeader>(),
    info::<txn::TxnDigest>(),
    info::<txn::TxnHeader>(),
    info::<txn::CreateTxnV0>(),
    info::<txn::CreateTxn>(),
    info::<txn::CreateTTLTxn>(),
    info::<txn::CreateContainerTxn>(),
    info::<txn::DeleteTxn>(),
    info::<txn::SetDataTxn>(),
    info::<txn::CheckVersionTxn>(),
    info::<txn::SetACLTxn>(),
    info::<txn::SetMaxChildrenTxn>(),
    info::<txn::CreateSessionTxn>(),
    info::<txn::CloseSessionTxn>(),
    info::<txn::ErrorTxn>(),
    info::<txn::Txn>(),
    info::<txn::MultiTxn>(),
];

/// Why [`find`] found no single record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FindError {
    /// No record has that name.
    Unknown(String),
    /// Several modules have a record of that bare name.
    Ambiguous(Vec<String>),
}

impl std::fmt::Display for FindError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            FindError::Unknown(n) => write!(f, "unknown record {n:?} (see `zk jute records`)"),
            FindError::Ambiguous(all) => {
                write!(f, "ambiguous record name; use one of {}", all.join(", "))
            }
        }
    }
}

impl std::error::Error for FindError {}

/// The record named `name`: fully qualified (`org.apache.zookeeper.data.Stat`) or bare (`Stat`).
pub fn find(name: &str) -> Result<&'static RecordInfo, FindError> {
    if let Some(r) = RECORDS.iter().find(|r| r.qualified_name() == name) {
        return Ok(r);
    }
    let bare: Vec<&'static RecordInfo> = RECORDS.iter().filter(|r| r.schema.name == name).collect();
    match bare.as_slice() {
        [one] => Ok(one),
        [] => Err(FindError::Unknown(name.to_string())),
        many => Err(FindError::Ambiguous(
            many.iter().map(|r| r.qualified_name()).collect(),
        )),
    }
}
