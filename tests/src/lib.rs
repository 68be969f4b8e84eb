//! Helpers shared by the workspace-level tests.

#![forbid(unsafe_code)]

use std::path::PathBuf;

/// A path under the `tests/` directory of the workspace.
pub fn test_data(relative: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(relative)
}
