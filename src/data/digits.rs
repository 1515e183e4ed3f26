//! Reader for the handwritten digits CSV (gzip): 64 pixel values 0..16 and a
//! label 0..9 per row, no header.

use std::path::{Path, PathBuf};

use tch::Tensor;
use thiserror::Error;

const PIXELS: usize = 64;
const MAX_PIXEL: f32 = 16.0;

#[derive(Debug, Error)]
pub enum DigitsError {
    #[error("{path}: cannot read digits data: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}: line {line}: {message}")]
    Invalid {
        path: PathBuf,
        line: u64,
        message: String,
    },
    #[error("{path}: holds no rows; expected the gzip CSV of 64 pixels and a label per row")]
    Empty { path: PathBuf },
}

/// Reads the digits file into float32 inputs `[n, 64]` scaled to [0, 1]
/// and int64 labels `[n]`.
pub fn read_digits(path: &Path) -> Result<(Tensor, Tensor), DigitsError> {
    let file = std::fs::File::open(path).map_err(|source| DigitsError::Read {
        path: path.to_owned(),
        source,
    })?;
    let decoder = flate2::read::GzDecoder::new(std::io::BufReader::new(file));
    let mut reader = csv::ReaderBuilder::new().has_headers(false).from_reader(decoder);
    let mut pixels: Vec<f32> = Vec::new();
    let mut labels: Vec<i64> = Vec::new();
    for (index, record) in reader.records().enumerate() {
        let line = index as u64 + 1;
        let invalid = |message: String| DigitsError::Invalid {
            path: path.to_owned(),
            line,
            message,
        };
        let record = record.map_err(|error| invalid(format!("not a gzip CSV row: {error}")))?;
        if record.len() != PIXELS + 1 {
            return Err(invalid(format!(
                "expected {} columns (64 pixels and a label), found {}",
                PIXELS + 1,
                record.len()
            )));
        }
        for (column, field) in record.iter().enumerate() {
            let value: i64 = field
                .trim()
                .parse()
                .map_err(|_| invalid(format!("column {}: {field:?} is not an integer", column + 1)))?;
            if column < PIXELS {
                if !(0..=16).contains(&value) {
                    return Err(invalid(format!("column {}: pixel {value} is outside 0..16", column + 1)));
                }
                pixels.push(value as f32 / MAX_PIXEL);
            } else {
                if !(0..=9).contains(&value) {
                    return Err(invalid(format!("label {value} is outside 0..9")));
                }
                labels.push(value);
            }
        }
    }
    if labels.is_empty() {
        return Err(DigitsError::Empty { path: path.to_owned() });
    }
    let rows = labels.len() as i64;
    Ok((Tensor::from_slice(&pixels).view([rows, PIXELS as i64]), Tensor::from_slice(&labels)))
}
