//! Hand-written encoders and decoders of the benchmarked records: the floor a derive should
//! reach. They make the same checks as the derived code (lengths against the limit and the
//! remaining input, UTF-8), so the comparison is of code generation, not of shortcuts.

#![deny(missing_docs)]
#![forbid(unsafe_code)]

pub mod hand;
pub mod inputs;
