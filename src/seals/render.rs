//! A seal as a QR code (SVG and PNG), and a seal read back from a photo or scan of one.

use image::{ImageBuffer, ImageFormat, ImageReader, Luma};
use qrcode::{Color, EcLevel, QrCode};

/// Pixels per QR module in the PNG, and modules of quiet zone around the code.
const PNG_SCALE: u32 = 6;
const QUIET_ZONE: u32 = 4;

/// The largest image accepted for reading, in pixels per side and in bytes decoded.
const MAX_SIDE: u32 = 4096;
const MAX_DECODED_BYTES: u64 = 64 * 1024 * 1024;
/// Images are scanned at most this large per side (a seal fills a good part of any photo of it).
const SCAN_SIDE: u32 = 1600;

/// Why no seal could be read from an image.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReadError {
    #[error("the image is not a PNG or JPEG that can be read, or it is too large")]
    Image,
    #[error("no QR code was found in the image")]
    NoCode,
    #[error("the QR code in the image could not be read")]
    Unreadable,
}

/// The QR code of `token` (medium error correction: a printed seal survives a smudge).
fn code(token: &str) -> Result<QrCode, qrcode::types::QrError> {
    QrCode::with_error_correction_level(token.as_bytes(), EcLevel::M)
}

/// The seal as an SVG image.
pub fn svg(token: &str) -> Result<String, qrcode::types::QrError> {
    Ok(code(token)?
        .render::<qrcode::render::svg::Color>()
        .min_dimensions(256, 256)
        .quiet_zone(true)
        .build())
}

/// The seal as a PNG image.
pub fn png(token: &str) -> Result<Vec<u8>, qrcode::types::QrError> {
    let code = code(token)?;
    let width = u32::try_from(code.width()).map_err(|_| qrcode::types::QrError::DataTooLong)?;
    let colors = code.to_colors();
    let side = (width + 2 * QUIET_ZONE) * PNG_SCALE;
    let image = ImageBuffer::from_fn(side, side, |x, y| {
        let (mx, my) = (x / PNG_SCALE, y / PNG_SCALE);
        let inside = (QUIET_ZONE..QUIET_ZONE + width).contains(&mx)
            && (QUIET_ZONE..QUIET_ZONE + width).contains(&my);
        let dark = inside
            && colors.get(((my - QUIET_ZONE) * width + (mx - QUIET_ZONE)) as usize)
                == Some(&Color::Dark);
        Luma([if dark { 0u8 } else { 255u8 }])
    });
    let mut out = std::io::Cursor::new(Vec::new());
    image
        .write_to(&mut out, ImageFormat::Png)
        .map_err(|_| qrcode::types::QrError::DataTooLong)?;
    Ok(out.into_inner())
}

/// The text of the first QR code found in a PNG or JPEG image. CPU-bound: call it off the
/// async runtime.
pub fn read(image: &[u8]) -> Result<String, ReadError> {
    let mut reader = ImageReader::new(std::io::Cursor::new(image))
        .with_guessed_format()
        .map_err(|_| ReadError::Image)?;
    let mut limits = image::Limits::default();
    limits.max_image_width = Some(MAX_SIDE);
    limits.max_image_height = Some(MAX_SIDE);
    limits.max_alloc = Some(MAX_DECODED_BYTES);
    reader.limits(limits);
    let mut decoded = reader.decode().map_err(|_| ReadError::Image)?;
    if decoded.width().max(decoded.height()) > SCAN_SIDE {
        decoded = decoded.thumbnail(SCAN_SIDE, SCAN_SIDE);
    }
    let grey = decoded.to_luma8();
    drop(decoded);
    // rqrr asserts on some perspective geometry found in ordinary photos: such an image is
    // unreadable, not a crash.
    std::panic::catch_unwind(move || {
        let (w, h) = (grey.width() as usize, grey.height() as usize);
        let mut prepared =
            rqrr::PreparedImage::prepare_from_greyscale(w, h, |x, y| grey.as_raw()[y * w + x]);
        let grids = prepared.detect_grids();
        if grids.is_empty() {
            return Err(ReadError::NoCode);
        }
        grids
            .iter()
            .find_map(|grid| grid.decode().ok().map(|(_, text)| text))
            .ok_or(ReadError::Unreadable)
    })
    .unwrap_or(Err(ReadError::Unreadable))
}

#[cfg(test)]
mod tests {
    use super::*;

    const TOKEN: &str = "eyJhbGciOiJFUzI1NiJ9.eyJpc3MiOiJodHRwczovL2toby5leGFtcGxlIn0.c2lnbmF0dXJl";

    #[test]
    fn a_png_seal_reads_back_to_its_token() {
        let png = png(TOKEN).unwrap();
        assert_eq!(&png[1..4], b"PNG");
        assert_eq!(read(&png).unwrap(), TOKEN);
    }

    #[test]
    fn an_svg_seal_is_an_svg_image() {
        let svg = svg(TOKEN).unwrap();
        assert!(svg.contains("<svg"));
        assert!(!svg.contains("<script"));
    }

    #[test]
    fn an_image_without_a_code_or_not_an_image_is_refused() {
        let blank = ImageBuffer::from_pixel(64, 64, Luma([255u8]));
        let mut out = std::io::Cursor::new(Vec::new());
        blank.write_to(&mut out, ImageFormat::Png).unwrap();
        assert_eq!(read(out.get_ref()), Err(ReadError::NoCode));
        assert_eq!(read(b"%PDF-1.7 not an image"), Err(ReadError::Image));
    }
}
