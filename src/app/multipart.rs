//! Reading multipart forms as they stream: the metadata fields, bounded without buffering, and
//! the `file` field, which must come last and once. Shared by the owner's upload (API and page),
//! the issuer's push and the verify page.

use axum::http::StatusCode;
use axum_extra::extract::Multipart;
use axum_extra::extract::multipart::{Field, MultipartError};
use futures_util::StreamExt;

use crate::documents::BodyError;
use crate::error::ApiError;

/// The longest metadata field [`small_text`] takes.
const MAX_FIELD_BYTES: usize = 4096;

/// The `file` field's content as it arrives, then a check that it was the form's last field:
/// a `file` given twice, or anything after it, ends the stream with an error, so nothing is
/// stored. The transport's size limit is told apart from a broken body.
pub fn last_file(
    field: Field,
    rest: Multipart,
) -> impl futures_util::Stream<Item = Result<bytes::Bytes, BodyError>> + Unpin + Send + 'static {
    fn broken(e: MultipartError) -> BodyError {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            BodyError::TooLarge
        } else {
            BodyError::Interrupted(e.body_text())
        }
    }
    Box::pin(
        futures_util::stream::unfold(Some((field, rest)), |state| async move {
            let (mut field, mut rest) = state?;
            match field.chunk().await {
                Ok(Some(chunk)) => Some((Ok(chunk), Some((field, rest)))),
                Err(e) => Some((Err(broken(e)), None)),
                Ok(None) => {
                    drop(field);
                    match rest.next_field().await {
                        Ok(None) => None,
                        Ok(Some(next)) => {
                            let why = format!(
                                "the form field `{}` comes after `file`: `file` must be the \
                                 last field, given once",
                                next.name().unwrap_or_default()
                            );
                            drain(next, rest).await;
                            Some((Err(BodyError::Interrupted(why)), None))
                        }
                        Err(e) => Some((Err(broken(e)), None)),
                    }
                }
            }
        })
        // A caller may read on after the end to drain the body: that must not panic.
        .fuse(),
    )
}

/// Reads what the client is still sending (the body limit bounds it), so that it gets the
/// answer rather than a reset connection.
pub async fn drain(mut field: Field, mut rest: Multipart) {
    loop {
        while let Ok(Some(_)) = field.chunk().await {}
        // A field still held makes the next one refused.
        drop(field);
        match rest.next_field().await {
            Ok(Some(next)) => field = next,
            _ => return,
        }
    }
}

/// Reads a metadata field, refusing one longer than [`MAX_FIELD_BYTES`] without buffering it.
pub async fn small_text(field: Field) -> Result<String, ApiError> {
    text_field(field, MAX_FIELD_BYTES).await
}

/// Reads a text field of at most `max` bytes, refusing a longer one without buffering it.
pub async fn text_field(mut field: Field, max: usize) -> Result<String, ApiError> {
    let mut bytes = Vec::new();
    while let Some(chunk) = field.chunk().await? {
        bytes.extend_from_slice(&chunk);
        if bytes.len() > max {
            return Err(ApiError::BadRequest("a metadata field is too long".into()));
        }
    }
    String::from_utf8(bytes)
        .map_err(|_| ApiError::BadRequest("metadata fields must be UTF-8 text".into()))
}
