//! Form handling in the GOV.UK pattern: each refused field gets a message next to it and a
//! link from the error summary at the top; what the person typed stays in the form.

use axum_extra::extract::multipart::Field;
use sha2::{Digest, Sha256};

use super::failure::PageError;
use super::i18n::Tr;
use crate::error::ApiError;

/// One field in error.
#[derive(Debug, Clone)]
pub struct FieldError {
    /// The field's `id`, which the summary links to.
    pub field: &'static str,
    pub message: String,
}

/// The errors of one submission, in the order of the form's fields.
#[derive(Debug, Clone, Default)]
pub struct FormErrors {
    pub items: Vec<FieldError>,
}

impl FormErrors {
    pub fn add(&mut self, field: &'static str, message: String) {
        if self.of(field).is_none() {
            self.items.push(FieldError { field, message });
        }
    }

    /// The catalogue message `key` for `field`.
    pub fn add_key(&mut self, tr: Tr, field: &'static str, key: &str) {
        self.add(field, tr.t(key));
    }

    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// The message for `field`, if it is in error.
    pub fn of(&self, field: &str) -> Option<&str> {
        self.items
            .iter()
            .find(|e| e.field == field)
            .map(|e| e.message.as_str())
    }
}

/// The SHA-256 of an uploaded file, as it streams; `None` when no file was chosen.
pub async fn sha256_of_file(mut field: Field) -> Result<Option<String>, PageError> {
    let chosen = field.file_name().is_some_and(|n| !n.is_empty());
    let mut hasher = Sha256::new();
    let mut read = 0usize;
    while let Some(chunk) = field
        .chunk()
        .await
        .map_err(|e| ApiError::BadRequest(e.body_text()))?
    {
        read += chunk.len();
        hasher.update(&chunk);
    }
    Ok((chosen && read > 0).then(|| hex::encode(hasher.finalize())))
}
