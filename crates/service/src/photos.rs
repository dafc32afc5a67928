//! Photos from the field, made safe to keep: decoded with a real image library under limits
//! (a decompression bomb is refused before it is unpacked), turned upright by its EXIF
//! orientation, shrunk to at most `MAX_SIDE` pixels on the longest side, and encoded again as
//! JPEG. Nothing of the original file but its pixels survives: no EXIF, GPS position, maker
//! notes, thumbnails or comments are ever stored or served.

use image::{DynamicImage, ImageDecoder, ImageFormat, ImageReader, Limits};
use std::io::Cursor;

/// The largest file accepted (a phone's full-size photo; the report page shrinks them first).
pub const MAX_BYTES: usize = 15 * 1024 * 1024;
/// The longest side of a stored photo.
pub const MAX_SIDE: u32 = 2048;
/// The largest picture decoded, in pixels per side (a 100-megapixel camera is 12,000 wide).
pub const MAX_DECODED_SIDE: u32 = 12_000;
/// Memory a decoder may take.
pub const MAX_DECODE_ALLOC: u64 = 512 * 1024 * 1024;

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum PhotoError {
    #[error("the file is {bytes} bytes; at most {max} are accepted")]
    TooLarge { bytes: usize, max: usize },
    #[error("the file is empty")]
    Empty,
    #[error("the file is not a JPEG, PNG or WebP image ({detail})")]
    NotAnImage { detail: String },
    #[error("the image is {width} × {height} pixels; at most {max} per side are accepted")]
    TooManyPixels { width: u32, height: u32, max: u32 },
    #[error("the image could not be read: {detail}")]
    Broken { detail: String },
}

impl PhotoError {
    /// The message key of the user-facing text.
    pub fn key(&self) -> &'static str {
        match self {
            PhotoError::TooLarge { .. } => "photo-error-too-large",
            PhotoError::Empty => "photo-error-empty",
            PhotoError::NotAnImage { .. } => "photo-error-not-image",
            PhotoError::TooManyPixels { .. } => "photo-error-pixels",
            PhotoError::Broken { .. } => "photo-error-broken",
        }
    }
}

/// A photo ready to store.
#[derive(Debug, Clone, PartialEq)]
pub struct CleanPhoto {
    pub jpeg: Vec<u8>,
    pub width: u32,
    pub height: u32,
}

/// Decodes, turns, shrinks and re-encodes a photo (see the module's description).
pub fn clean(bytes: &[u8]) -> Result<CleanPhoto, PhotoError> {
    if bytes.is_empty() {
        return Err(PhotoError::Empty);
    }
    if bytes.len() > MAX_BYTES {
        return Err(PhotoError::TooLarge {
            bytes: bytes.len(),
            max: MAX_BYTES,
        });
    }
    let format = image::guess_format(bytes).map_err(|e| PhotoError::NotAnImage {
        detail: e.to_string(),
    })?;
    if !matches!(
        format,
        ImageFormat::Jpeg | ImageFormat::Png | ImageFormat::WebP
    ) {
        return Err(PhotoError::NotAnImage {
            detail: format!("{format:?}"),
        });
    }
    // The header first: a picture that says it is too large is refused before decoding.
    let (width, height) = ImageReader::with_format(Cursor::new(bytes), format)
        .into_dimensions()
        .map_err(|e| PhotoError::Broken {
            detail: e.to_string(),
        })?;
    if width > MAX_DECODED_SIDE || height > MAX_DECODED_SIDE {
        return Err(PhotoError::TooManyPixels {
            width,
            height,
            max: MAX_DECODED_SIDE,
        });
    }
    let mut reader = ImageReader::with_format(Cursor::new(bytes), format);
    let mut limits = Limits::default();
    limits.max_image_width = Some(MAX_DECODED_SIDE);
    limits.max_image_height = Some(MAX_DECODED_SIDE);
    limits.max_alloc = Some(MAX_DECODE_ALLOC);
    reader.limits(limits);
    let broken = |e: image::ImageError| match e {
        image::ImageError::Limits(_) => PhotoError::TooManyPixels {
            width,
            height,
            max: MAX_DECODED_SIDE,
        },
        other => PhotoError::Broken {
            detail: other.to_string(),
        },
    };
    let mut decoder = reader.into_decoder().map_err(broken)?;
    let orientation = decoder.orientation().map_err(broken)?;
    let mut img = DynamicImage::from_decoder(decoder).map_err(broken)?;
    img.apply_orientation(orientation);
    if img.width().max(img.height()) > MAX_SIDE {
        img = img.resize(MAX_SIDE, MAX_SIDE, image::imageops::FilterType::Triangle);
    }
    let rgb = img.into_rgb8();
    let mut jpeg = Vec::with_capacity(rgb.len() / 8);
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut jpeg, 85)
        .encode_image(&rgb)
        .map_err(|e| PhotoError::Broken {
            detail: e.to_string(),
        })?;
    Ok(CleanPhoto {
        jpeg,
        width: rgb.width(),
        height: rgb.height(),
    })
}

/// Whether JPEG bytes carry metadata: an APP1 (EXIF/XMP), APP2–APP15 or comment segment.
/// What `clean` writes has none (only JFIF's APP0); the tests check it with this.
pub fn jpeg_has_metadata(jpeg: &[u8]) -> bool {
    let mut i = 2;
    while i + 4 <= jpeg.len() {
        if jpeg[i] != 0xFF {
            return false;
        }
        let marker = jpeg[i + 1];
        if marker == 0xDA {
            // Start of scan: the headers are over.
            return false;
        }
        if (0xE1..=0xEF).contains(&marker) || marker == 0xFE {
            return true;
        }
        let len = usize::from(u16::from_be_bytes([jpeg[i + 2], jpeg[i + 3]]));
        i += 2 + len;
    }
    false
}

/// A small JPEG with an EXIF segment holding a GPS position, for tests: what a phone's
/// camera writes.
pub fn jpeg_with_gps(width: u32, height: u32) -> Vec<u8> {
    let img = image::RgbImage::from_fn(width, height, |x, y| {
        image::Rgb([(x * 7 % 256) as u8, (y * 5 % 256) as u8, 128])
    });
    let mut plain = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut plain, 90)
        .encode_image(&img)
        .expect("a test image encodes");
    let exif = exif_with_gps();
    let mut out = Vec::with_capacity(plain.len() + exif.len() + 4);
    out.extend_from_slice(&plain[..2]);
    out.extend_from_slice(&[0xFF, 0xE1]);
    out.extend_from_slice(&((exif.len() + 2) as u16).to_be_bytes());
    out.extend_from_slice(&exif);
    out.extend_from_slice(&plain[2..]);
    out
}

/// "Exif\0\0" and a little-endian TIFF with IFD0 (Make, GPS pointer) and a GPS IFD
/// (latitude 59°25'20" N, longitude 16°5'52" E: Kungsör).
fn exif_with_gps() -> Vec<u8> {
    let mut t: Vec<u8> = Vec::new();
    t.extend_from_slice(b"II\x2a\x00\x08\x00\x00\x00");
    // IFD0 at 8: two entries.
    let ifd0_entries = 2u16;
    let ifd0_len = 2 + 12 * usize::from(ifd0_entries) + 4;
    let make_at = 8 + ifd0_len;
    let make = b"TestPhone\0";
    let gps_at = make_at + make.len();
    let entry = |t: &mut Vec<u8>, tag: u16, typ: u16, count: u32, value: u32| {
        t.extend_from_slice(&tag.to_le_bytes());
        t.extend_from_slice(&typ.to_le_bytes());
        t.extend_from_slice(&count.to_le_bytes());
        t.extend_from_slice(&value.to_le_bytes());
    };
    t.extend_from_slice(&ifd0_entries.to_le_bytes());
    entry(&mut t, 0x010F, 2, make.len() as u32, make_at as u32);
    entry(&mut t, 0x8825, 4, 1, gps_at as u32);
    t.extend_from_slice(&0u32.to_le_bytes());
    t.extend_from_slice(make);
    // GPS IFD: LatitudeRef, Latitude, LongitudeRef, Longitude.
    let gps_entries = 4u16;
    let rationals_at = gps_at + 2 + 12 * usize::from(gps_entries) + 4;
    t.extend_from_slice(&gps_entries.to_le_bytes());
    entry(&mut t, 1, 2, 2, u32::from_le_bytes(*b"N\0\0\0"));
    entry(&mut t, 2, 5, 3, rationals_at as u32);
    entry(&mut t, 3, 2, 2, u32::from_le_bytes(*b"E\0\0\0"));
    entry(&mut t, 4, 5, 3, (rationals_at + 24) as u32);
    t.extend_from_slice(&0u32.to_le_bytes());
    for v in [59u32, 25, 20, 16, 5, 52] {
        t.extend_from_slice(&v.to_le_bytes());
        t.extend_from_slice(&1u32.to_le_bytes());
    }
    let mut out = b"Exif\0\0".to_vec();
    out.extend_from_slice(&t);
    out
}

#[derive(Debug, thiserror::Error)]
pub enum AddError {
    #[error(transparent)]
    Photo(#[from] PhotoError),
    #[error("incident {0} is not one this user may add photos to")]
    NotAllowed(store::IncidentId),
    #[error(transparent)]
    Store(#[from] store::StoreError),
}

/// Photos decoded at once (each may take `MAX_DECODE_ALLOC`); more wait their turn.
static DECODING: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(2);

/// Cleans a photo (off the async threads) and adds it to an incident its reporter sent, or
/// that a coordinator or analyst may see.
pub async fn add(
    store: &dyn store::Store,
    user: &store::User,
    incident: store::IncidentId,
    bytes: Vec<u8>,
    key: Option<String>,
    now: jiff::Timestamp,
) -> Result<store::PhotoAdded, AddError> {
    let Some(i) = store.incident(&user.actor(), incident).await? else {
        return Err(AddError::NotAllowed(incident));
    };
    let may = i.user_id == Some(user.id)
        || matches!(user.role, model::Role::Admin | model::Role::Analyst);
    if !may {
        return Err(AddError::NotAllowed(incident));
    }
    let clean = {
        let _slot = DECODING
            .acquire()
            .await
            .map_err(|e| store::StoreError::Backend(e.to_string()))?;
        tokio::task::spawn_blocking(move || clean(&bytes))
            .await
            .map_err(|e| store::StoreError::Backend(format!("photo decoding stopped: {e}")))??
    };
    Ok(store
        .add_photo(
            &user.actor(),
            &store::NewPhoto {
                incident_id: incident,
                client_key: key,
                content_type: "image/jpeg".into(),
                width: clean.width,
                height: clean.height,
                data: clean.jpeg,
                user_id: user.id,
                created_at: now,
            },
        )
        .await?)
}

/// A PNG that says it is `w` × `h` pixels of grey, its data a few zero rows compressed
/// (for tests of the limits: a decompression bomb).
pub fn bomb(w: u32, h: u32) -> Vec<u8> {
    fn chunk(out: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
        out.extend_from_slice(&(data.len() as u32).to_be_bytes());
        out.extend_from_slice(kind);
        out.extend_from_slice(data);
        let mut crc = flate2::Crc::new();
        crc.update(kind);
        crc.update(data);
        out.extend_from_slice(&crc.sum().to_be_bytes());
    }
    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut ihdr = Vec::new();
    ihdr.extend_from_slice(&w.to_be_bytes());
    ihdr.extend_from_slice(&h.to_be_bytes());
    ihdr.extend_from_slice(&[8, 0, 0, 0, 0]);
    chunk(&mut out, b"IHDR", &ihdr);
    let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::best());
    let row = vec![0u8; w as usize + 1];
    for _ in 0..4 {
        std::io::Write::write_all(&mut z, &row).expect("in memory");
    }
    chunk(&mut out, b"IDAT", &z.finish().expect("in memory"));
    chunk(&mut out, b"IEND", &[]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gps_and_maker_data_are_gone() {
        let original = jpeg_with_gps(640, 480);
        assert!(jpeg_has_metadata(&original));
        assert!(original.windows(9).any(|w| w == b"TestPhone"));
        let clean = clean(&original).unwrap();
        assert!(!jpeg_has_metadata(&clean.jpeg));
        assert!(!clean.jpeg.windows(4).any(|w| w == b"Exif"));
        assert!(!clean.jpeg.windows(9).any(|w| w == b"TestPhone"));
        assert_eq!((clean.width, clean.height), (640, 480));
        // It is still the picture.
        let back = image::load_from_memory(&clean.jpeg).unwrap();
        assert_eq!((back.width(), back.height()), (640, 480));
    }

    #[test]
    fn large_photos_are_shrunk() {
        let big = jpeg_with_gps(3000, 1500);
        let c = clean(&big).unwrap();
        assert_eq!((c.width, c.height), (2048, 1024));
    }

    #[test]
    fn bad_files_are_named() {
        assert_eq!(clean(b""), Err(PhotoError::Empty));
        assert!(matches!(
            clean(b"this is not a picture at all"),
            Err(PhotoError::NotAnImage { .. })
        ));
        let big = vec![0u8; MAX_BYTES + 1];
        assert_eq!(
            clean(&big),
            Err(PhotoError::TooLarge {
                bytes: MAX_BYTES + 1,
                max: MAX_BYTES
            })
        );
        // A cut-off JPEG.
        let photo = jpeg_with_gps(64, 64);
        assert!(matches!(
            clean(&photo[..photo.len() / 3]),
            Err(PhotoError::Broken { .. })
        ));
        // A GIF is an image, but not one we keep.
        assert!(matches!(
            clean(b"GIF89a\x01\x00\x01\x00\x00\x00\x00;"),
            Err(PhotoError::NotAnImage { .. })
        ));
    }

    #[test]
    fn a_decompression_bomb_is_refused_before_it_is_unpacked() {
        let bomb = bomb(50_000, 50_000);
        assert!(bomb.len() < 200_000, "{} bytes", bomb.len());
        assert_eq!(
            clean(&bomb),
            Err(PhotoError::TooManyPixels {
                width: 50_000,
                height: 50_000,
                max: MAX_DECODED_SIDE
            })
        );
    }
}
