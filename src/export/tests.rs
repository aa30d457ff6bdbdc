use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::file_name;
use crate::documents::{DocumentView, Source, Status, Verification};

fn view(title: &str, content_type: &str) -> DocumentView {
    DocumentView {
        id: Uuid::nil(),
        version: 1,
        type_code: "other".into(),
        title: title.into(),
        number: None,
        issuing_agency: None,
        issue_date: None,
        valid_until: None,
        result_code: None,
        source: Source::Uploaded,
        verification: Verification::Unverified,
        status: Status::Valid,
        status_changed_at: DateTime::<Utc>::UNIX_EPOCH,
        content_type: content_type.into(),
        size: 1,
        sha256: String::new(),
        created_at: DateTime::<Utc>::UNIX_EPOCH,
        provenance: None,
    }
}

#[test]
fn a_file_name_keeps_the_vietnamese_title_and_cannot_escape_its_folder() {
    assert_eq!(
        file_name(7, &view("Giấy khai sinh", "application/pdf")),
        "documents/007 Giấy khai sinh.pdf"
    );
    let hostile = file_name(1, &view("../../etc/passwd\u{0}", "image/png"));
    assert_eq!(hostile, "documents/001 _.._etc_passwd_.png");
    assert_eq!(hostile.matches('/').count(), 1);
}
