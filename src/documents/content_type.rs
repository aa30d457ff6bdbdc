//! The content type of a document, decided by its first bytes — never by what the client says.

/// The formats Kho accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ContentType {
    Pdf,
    Jpeg,
    Png,
    Xml,
    Json,
}

impl ContentType {
    pub fn mime(self) -> &'static str {
        match self {
            Self::Pdf => "application/pdf",
            Self::Jpeg => "image/jpeg",
            Self::Png => "image/png",
            Self::Xml => "application/xml",
            Self::Json => "application/json",
        }
    }

    pub fn extension(self) -> &'static str {
        match self {
            Self::Pdf => "pdf",
            Self::Jpeg => "jpg",
            Self::Png => "png",
            Self::Xml => "xml",
            Self::Json => "json",
        }
    }

    pub fn from_mime(mime: &str) -> Option<Self> {
        [Self::Pdf, Self::Jpeg, Self::Png, Self::Xml, Self::Json]
            .into_iter()
            .find(|t| t.mime() == mime)
    }
}

/// How many leading bytes [`sniff`] needs at most.
pub const SNIFF_LEN: usize = 64;

/// Recognises the format from the leading bytes: the PDF, JPEG and PNG signatures; XML by its
/// declaration or a first element; JSON by a leading `{` or `[` (after an optional UTF-8 byte
/// order mark and white space). `None` for anything else, including empty content.
pub fn sniff(head: &[u8]) -> Option<ContentType> {
    if head.starts_with(b"%PDF-") {
        return Some(ContentType::Pdf);
    }
    if head.starts_with(&[0xFF, 0xD8, 0xFF]) {
        return Some(ContentType::Jpeg);
    }
    if head.starts_with(&[0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A]) {
        return Some(ContentType::Png);
    }
    let text = head.strip_prefix(&[0xEF, 0xBB, 0xBF]).unwrap_or(head);
    let start = text.iter().position(|b| !b.is_ascii_whitespace())?;
    let text = &text[start..];
    match text.first()? {
        b'{' | b'[' => Some(ContentType::Json),
        b'<' if looks_like_html(text) => None,
        b'<' if text.starts_with(b"<?xml")
            || text.get(1).is_some_and(|b| b.is_ascii_alphabetic()) =>
        {
            Some(ContentType::Xml)
        }
        _ => None,
    }
}

/// Elements that begin an HTML page, or that run or embed something, never a document's XML.
const HTML_ELEMENTS: [&str; 15] = [
    "html", "head", "body", "title", "meta", "link", "base", "style", "script", "iframe",
    "frameset", "object", "embed", "form", "img",
];

/// An HTML doctype, or a first element of HTML's, after an optional XML declaration: stored as
/// `application/xml`, such a page would be served as a document (and rendered by a browser).
fn looks_like_html(text: &[u8]) -> bool {
    let lower = text.to_ascii_lowercase();
    let mut rest = lower.as_slice();
    if rest.starts_with(b"<?xml") {
        let Some(end) = rest.windows(2).position(|w| w == b"?>") else {
            return false;
        };
        rest = &rest[end + 2..];
        let start = rest.iter().position(|b| !b.is_ascii_whitespace());
        rest = start.map_or(&[][..], |s| &rest[s..]);
    }
    if rest.starts_with(b"<!doctype html") {
        return true;
    }
    let Some(name) = rest.strip_prefix(b"<") else {
        return false;
    };
    let end = name
        .iter()
        .position(|b| !b.is_ascii_alphanumeric())
        .unwrap_or(name.len());
    HTML_ELEMENTS.iter().any(|e| e.as_bytes() == &name[..end])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signatures_decide_the_type() {
        assert_eq!(sniff(b"%PDF-1.7\n..."), Some(ContentType::Pdf));
        assert_eq!(sniff(&[0xFF, 0xD8, 0xFF, 0xE0]), Some(ContentType::Jpeg));
        assert_eq!(sniff(b"\x89PNG\r\n\x1a\n...."), Some(ContentType::Png));
        assert_eq!(
            sniff(b"<?xml version=\"1.0\"?><a/>"),
            Some(ContentType::Xml)
        );
        assert_eq!(sniff(b"\xEF\xBB\xBF  <hoSo/>"), Some(ContentType::Xml));
        assert_eq!(sniff(b" \n{\"a\":1}"), Some(ContentType::Json));
    }

    #[test]
    fn other_content_is_refused() {
        for bad in [
            &b""[..],
            b"MZ\x90\x00",
            b"GIF89a",
            b"hello",
            b"   ",
            b"<!-- x -->",
            b"%PD",
        ] {
            assert_eq!(sniff(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn an_html_page_is_not_xml() {
        for page in [
            &b"<!DOCTYPE html><html><body>x</body></html>"[..],
            b"<html lang=\"vi\"><head>",
            b"  <HTML>",
            b"<?xml version=\"1.0\"?>\n<html xmlns=\"http://www.w3.org/1999/xhtml\">",
            b"<script>alert(1)</script>",
            b"<body onload=x>",
            b"<img src=x onerror=alert(1)>",
        ] {
            assert_eq!(sniff(page), None, "{page:?}");
        }
        for xml in [
            &b"<hoSo><p1/></hoSo>"[..],
            b"<?xml version=\"1.0\"?><giayKhaiSinh/>",
            b"<pkg:document>",
            b"<bodyPart/>",
            b"<a/>",
        ] {
            assert_eq!(sniff(xml), Some(ContentType::Xml), "{xml:?}");
        }
    }
}
