//! Reading and atomically writing results files.

use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use thiserror::Error;

use super::{ResultsFile, SCHEMA_VERSION};

#[derive(Debug, Error)]
pub enum ResultsError {
    #[error("{path}: cannot read results file: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}: not a valid epochmem results file: {source}")]
    Parse {
        path: PathBuf,
        source: serde_json::Error,
    },
    #[error(
        "{path}: results schema version {found}, but this epochmem reads version {expected}; \
         re-run the scenario with this version"
    )]
    SchemaVersion {
        path: PathBuf,
        found: u64,
        expected: u32,
    },
    #[error("{path}: cannot write results file: {source}")]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// Reads a results file, checking its schema version before anything else
/// so that an old file gets a version error, not a confusing field error.
pub fn read_results(path: &Path) -> Result<ResultsFile, ResultsError> {
    let text = std::fs::read_to_string(path).map_err(|source| ResultsError::Read {
        path: path.to_owned(),
        source,
    })?;
    let value: serde_json::Value =
        serde_json::from_str(&text).map_err(|source| ResultsError::Parse {
            path: path.to_owned(),
            source,
        })?;
    let found = value.get("schema_version").and_then(|v| v.as_u64()).unwrap_or(0);
    if found != u64::from(SCHEMA_VERSION) {
        return Err(ResultsError::SchemaVersion {
            path: path.to_owned(),
            found,
            expected: SCHEMA_VERSION,
        });
    }
    serde_json::from_value(value).map_err(|source| ResultsError::Parse {
        path: path.to_owned(),
        source,
    })
}

/// Writes `results` to `path` through a temporary file in the same folder
/// and a rename, so a crash leaves either the old file or the new one.
pub fn write_results_atomically(path: &Path, results: &ResultsFile) -> Result<(), ResultsError> {
    let write_error = |source| ResultsError::Write {
        path: path.to_owned(),
        source,
    };
    let json = serde_json::to_vec_pretty(results).map_err(|e| write_error(e.into()))?;
    write_file_atomically(path, &json).map_err(write_error)
}

/// Writes bytes to `path` through a temporary sibling file and a rename.
pub fn write_file_atomically(path: &Path, contents: &[u8]) -> std::io::Result<()> {
    let folder = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    std::fs::create_dir_all(folder)?;
    let mut file = tempfile::NamedTempFile::new_in(folder)?;
    // Temporary files are created 0600; results and reports are meant to be
    // read by others, like any file the user writes.
    file.as_file().set_permissions(std::fs::Permissions::from_mode(0o644))?;
    file.write_all(contents)?;
    file.as_file().sync_all()?;
    file.persist(path).map_err(|e| e.error)?;
    Ok(())
}
