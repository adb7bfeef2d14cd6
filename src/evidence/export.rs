//! Where an export's files come from: a directory on disk, or files sent
//! to the service in memory.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::PathBuf;

use super::EvidenceError;
use super::contract::FILES;
use super::mapping::Mapping;

/// An export: the files the contract names, read on demand.
#[derive(Debug, Clone)]
pub enum Export {
    /// A directory holding the CSV files.
    Dir(PathBuf),
    /// File name -> contents, e.g. as sent to the service.
    Files(BTreeMap<String, Vec<u8>>),
}

impl Export {
    /// The file `name`, or `None` when the export does not have it.
    pub(crate) fn open(&self, name: &str) -> Result<Option<Box<dyn Read + '_>>, EvidenceError> {
        match self {
            Self::Dir(dir) => match std::fs::File::open(dir.join(name)) {
                Ok(file) => Ok(Some(Box::new(file))),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
                Err(source) => Err(EvidenceError::Io {
                    file: dir.join(name).display().to_string(),
                    source,
                }),
            },
            Self::Files(files) => Ok(files
                .get(name)
                .map(|bytes| Box::new(bytes.as_slice()) as Box<dyn Read>)),
        }
    }

    /// Refuses in-memory files the mapping does not name: a misspelt file
    /// name would otherwise leave its metrics out without a word.
    pub(crate) fn check_names(&self, mapping: &Mapping) -> Result<(), EvidenceError> {
        let Self::Files(files) = self else {
            return Ok(());
        };
        let expected: Vec<String> = FILES.iter().map(|f| mapping.file_name(f)).collect();
        match files.keys().find(|name| !expected.contains(name)) {
            Some(name) => Err(EvidenceError::UnknownFile {
                file: name.clone(),
                expected,
            }),
            None => Ok(()),
        }
    }
}
