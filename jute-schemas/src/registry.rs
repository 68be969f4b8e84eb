//! Every record by name, with type-erased decode/encode through [`Value`]s: what tools use
//! to work on a record they know only by its Jute name.

use jute::{
    Decode, DecodeError, FromValue, Limits, Record, RecordSchema, ToValue, Value, ValueError,
};

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

/// Calls `$callback! { $crate::data::Id, $crate::data::ACL, ... }` with the path of every record
/// type, in file order: for code (and tests) that must do something with each typed record.
///
/// ```
/// macro_rules! count {
///     ($($path:path),*) => { [$(stringify!($path)),*].len() };
/// }
/// assert_eq!(jute_schemas::for_each_record!(count), 72);
/// ```
#[macro_export]
macro_rules! for_each_record {
    ($callback:ident) => {
        $callback! {
            $crate::data::Id,
            $crate::data::ACL,
            $crate::data::Stat,
            $crate::data::StatPersisted,
            $crate::data::ClientInfo,
            $crate::proto::ConnectRequest,
            $crate::proto::ConnectResponse,
            $crate::proto::SetWatches,
            $crate::proto::SetWatches2,
            $crate::proto::RequestHeader,
            $crate::proto::MultiHeader,
            $crate::proto::AuthPacket,
            $crate::proto::ReplyHeader,
            $crate::proto::GetDataRequest,
            $crate::proto::SetDataRequest,
            $crate::proto::ReconfigRequest,
            $crate::proto::SetDataResponse,
            $crate::proto::GetSASLRequest,
            $crate::proto::SetSASLRequest,
            $crate::proto::SetSASLResponse,
            $crate::proto::CreateRequest,
            $crate::proto::CreateTTLRequest,
            $crate::proto::DeleteRequest,
            $crate::proto::GetChildrenRequest,
            $crate::proto::GetAllChildrenNumberRequest,
            $crate::proto::GetChildren2Request,
            $crate::proto::CheckVersionRequest,
            $crate::proto::GetMaxChildrenRequest,
            $crate::proto::GetMaxChildrenResponse,
            $crate::proto::SetMaxChildrenRequest,
            $crate::proto::SyncRequest,
            $crate::proto::SyncResponse,
            $crate::proto::GetACLRequest,
            $crate::proto::SetACLRequest,
            $crate::proto::SetACLResponse,
            $crate::proto::AddWatchRequest,
            $crate::proto::WatcherEvent,
            $crate::proto::ErrorResponse,
            $crate::proto::CreateResponse,
            $crate::proto::Create2Response,
            $crate::proto::ExistsRequest,
            $crate::proto::ExistsResponse,
            $crate::proto::GetDataResponse,
            $crate::proto::GetChildrenResponse,
            $crate::proto::GetAllChildrenNumberResponse,
            $crate::proto::GetChildren2Response,
            $crate::proto::GetACLResponse,
            $crate::proto::CheckWatchesRequest,
            $crate::proto::RemoveWatchesRequest,
            $crate::proto::GetEphemeralsRequest,
            $crate::proto::GetEphemeralsResponse,
            $crate::proto::WhoAmIResponse,
            $crate::quorum::LearnerInfo,
            $crate::quorum::QuorumPacket,
            $crate::quorum::QuorumAuthPacket,
            $crate::persistence::FileHeader,
            $crate::txn::TxnDigest,
            $crate::txn::TxnHeader,
            $crate::txn::CreateTxnV0,
            $crate::txn::CreateTxn,
            $crate::txn::CreateTTLTxn,
            $crate::txn::CreateContainerTxn,
            $crate::txn::DeleteTxn,
            $crate::txn::SetDataTxn,
            $crate::txn::CheckVersionTxn,
            $crate::txn::SetACLTxn,
            $crate::txn::SetMaxChildrenTxn,
            $crate::txn::CreateSessionTxn,
            $crate::txn::CloseSessionTxn,
            $crate::txn::ErrorTxn,
            $crate::txn::Txn,
            $crate::txn::MultiTxn
        }
    };
}

macro_rules! record_infos {
    ($($path:path),*) => {
        [$(info::<$path>()),*]
    };
}

/// All 72 records of ZooKeeper 3.9's `zookeeper.jute`, in file order.
pub static RECORDS: [RecordInfo; 72] = crate::for_each_record!(record_infos);

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
