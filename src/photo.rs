//! The photo pipeline of a safety walk: what a phone uploads is decoded and encoded
//! anew, so no metadata survives (EXIF position above all, but also camera serials,
//! times, XMP, ICC and comments): only pixels go through. Limits on bytes,
//! dimensions and pixels are checked before any pixel is decoded, so a small file
//! that claims to be a huge image (a decompression bomb) costs nothing.
//!
//! A moderator may blur rectangles (faces, plates, house numbers) before a photo is
//! published: [`blur`] pixelates them into blocks so coarse that the original cannot
//! be recovered, and the result is a new photo with its own id.

use crate::domain::walk::PhotoId;
use image::{DynamicImage, ImageDecoder, ImageFormat, ImageReader, Limits, RgbImage};
use sha2::{Digest, Sha256};
use std::io::Cursor;

/// What a photo may be. Defaults suit a phone camera (12–50 megapixels).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PhotoLimits {
    /// Largest upload in bytes.
    pub max_bytes: usize,
    /// Largest width or height the decoder accepts.
    pub max_side: u32,
    /// Most pixels (width × height) the decoder accepts.
    pub max_pixels: u64,
    /// Photos are scaled down to fit this side before they are stored.
    pub stored_side: u32,
}

impl Default for PhotoLimits {
    fn default() -> PhotoLimits {
        PhotoLimits {
            max_bytes: 15 * 1024 * 1024,
            max_side: 12_000,
            max_pixels: 60_000_000,
            stored_side: 2048,
        }
    }
}

/// Most rectangles one blur may cover.
pub const MAX_REGIONS: usize = 32;

/// JPEG quality of what is stored: photos of streets, not art.
const QUALITY: u8 = 85;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PhotoError {
    #[error("the photo is {bytes} bytes; at most {max} are taken")]
    TooLarge { bytes: usize, max: usize },
    #[error("this is not an image")]
    NotAnImage,
    #[error("images of this kind are not taken (JPEG, PNG or WebP)")]
    UnsupportedFormat,
    #[error(
        "the image is {width}×{height} pixels; at most {max_side} a side and {max_pixels} pixels are taken"
    )]
    TooManyPixels {
        width: u32,
        height: u32,
        max_side: u32,
        max_pixels: u64,
    },
    #[error("the image is damaged and cannot be read")]
    Damaged,
    #[error("a rectangle to blur lies outside the photo or is empty")]
    BadRegion,
    #[error("at most {MAX_REGIONS} rectangles are blurred at once")]
    TooManyRegions,
}

impl PhotoError {
    /// A stable code for programs (the wire's `detail`).
    pub fn code(&self) -> &'static str {
        match self {
            PhotoError::TooLarge { .. } => "photo_too_large",
            PhotoError::NotAnImage => "not_an_image",
            PhotoError::UnsupportedFormat => "unsupported_image",
            PhotoError::TooManyPixels { .. } => "too_many_pixels",
            PhotoError::Damaged => "damaged_image",
            PhotoError::BadRegion => "bad_region",
            PhotoError::TooManyRegions => "too_many_regions",
        }
    }
}

/// A photo with nothing but its pixels, ready to store.
#[derive(Clone, PartialEq, Eq)]
pub struct CleanPhoto {
    pub id: PhotoId,
    /// A baseline JPEG with a JFIF header and no other metadata.
    pub jpeg: Vec<u8>,
    pub width: u32,
    pub height: u32,
}

impl std::fmt::Debug for CleanPhoto {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "CleanPhoto({}, {}×{}, {} bytes)",
            self.id.as_str(),
            self.width,
            self.height,
            self.jpeg.len()
        )
    }
}

/// A rectangle in the stored photo's pixels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Region {
    pub x: u32,
    pub y: u32,
    pub width: u32,
    pub height: u32,
}

/// Reads an upload and returns it cleaned: turned upright as the camera meant,
/// scaled to the stored size, encoded anew as JPEG.
pub fn clean(upload: &[u8], limits: &PhotoLimits) -> Result<CleanPhoto, PhotoError> {
    let image = decode(upload, limits)?;
    let image = if image.width().max(image.height()) > limits.stored_side {
        image.thumbnail(limits.stored_side, limits.stored_side)
    } else {
        image
    };
    encode(image.to_rgb8())
}

/// A new photo with each region pixelated; `stored` is a photo [`clean`] made.
pub fn blur(
    stored: &[u8],
    regions: &[Region],
    limits: &PhotoLimits,
) -> Result<CleanPhoto, PhotoError> {
    if regions.len() > MAX_REGIONS {
        return Err(PhotoError::TooManyRegions);
    }
    let mut rgb = decode(stored, limits)?.to_rgb8();
    for r in regions {
        let inside = r.width > 0
            && r.height > 0
            && r.x.checked_add(r.width).is_some_and(|e| e <= rgb.width())
            && r.y.checked_add(r.height).is_some_and(|e| e <= rgb.height());
        if !inside {
            return Err(PhotoError::BadRegion);
        }
    }
    for r in regions {
        pixelate(&mut rgb, r);
    }
    encode(rgb)
}

/// Blocks a quarter of the rectangle's shorter side (at least 12 pixels): a face
/// becomes four by four patches of colour, beyond recovery.
fn pixelate(rgb: &mut RgbImage, r: &Region) {
    let block = (r.width.min(r.height) / 4).max(12);
    let (x_end, y_end) = (r.x + r.width, r.y + r.height);
    let mut by = r.y;
    while by < y_end {
        let bh = block.min(y_end - by);
        let mut bx = r.x;
        while bx < x_end {
            let bw = block.min(x_end - bx);
            let mut sum = [0u64; 3];
            for y in by..by + bh {
                for x in bx..bx + bw {
                    let p = rgb.get_pixel(x, y).0;
                    for c in 0..3 {
                        sum[c] += u64::from(p[c]);
                    }
                }
            }
            let n = u64::from(bw) * u64::from(bh);
            let mean = image::Rgb(sum.map(|s| (s / n) as u8));
            for y in by..by + bh {
                for x in bx..bx + bw {
                    rgb.put_pixel(x, y, mean);
                }
            }
            bx += bw;
        }
        by += bh;
    }
}

fn decode(bytes: &[u8], limits: &PhotoLimits) -> Result<DynamicImage, PhotoError> {
    if bytes.len() > limits.max_bytes {
        return Err(PhotoError::TooLarge {
            bytes: bytes.len(),
            max: limits.max_bytes,
        });
    }
    let reader = ImageReader::new(Cursor::new(bytes))
        .with_guessed_format()
        .map_err(|_| PhotoError::Damaged)?;
    match reader.format() {
        None => return Err(PhotoError::NotAnImage),
        Some(ImageFormat::Jpeg | ImageFormat::Png | ImageFormat::WebP) => {}
        Some(_) => return Err(PhotoError::UnsupportedFormat),
    }
    let mut reader = reader;
    let mut bounds = Limits::default();
    bounds.max_image_width = Some(limits.max_side);
    bounds.max_image_height = Some(limits.max_side);
    // Room for the decoded pixels (at most 4 bytes each here) and a copy.
    bounds.max_alloc = Some(limits.max_pixels.saturating_mul(8));
    reader.limits(bounds);
    let too_many = |(width, height): (u32, u32)| PhotoError::TooManyPixels {
        width,
        height,
        max_side: limits.max_side,
        max_pixels: limits.max_pixels,
    };
    let mut decoder = reader.into_decoder().map_err(|e| match e {
        image::ImageError::Limits(_) => too_many((0, 0)),
        image::ImageError::Unsupported(_) => PhotoError::UnsupportedFormat,
        _ => PhotoError::Damaged,
    })?;
    // The header's claim, checked before a single pixel is decoded.
    let (width, height) = decoder.dimensions();
    if width == 0
        || height == 0
        || width > limits.max_side
        || height > limits.max_side
        || u64::from(width) * u64::from(height) > limits.max_pixels
    {
        return Err(too_many((width, height)));
    }
    let orientation = decoder.orientation().map_err(|_| PhotoError::Damaged)?;
    let mut image = DynamicImage::from_decoder(decoder).map_err(|e| match e {
        image::ImageError::Limits(_) => too_many((width, height)),
        _ => PhotoError::Damaged,
    })?;
    image.apply_orientation(orientation);
    Ok(image)
}

fn encode(rgb: RgbImage) -> Result<CleanPhoto, PhotoError> {
    let mut jpeg = Vec::new();
    let encoder = image::codecs::jpeg::JpegEncoder::new_with_quality(&mut jpeg, QUALITY);
    rgb.write_with_encoder(encoder)
        .map_err(|_| PhotoError::Damaged)?;
    let id = PhotoId::parse(&hex(&Sha256::digest(&jpeg))).ok_or(PhotoError::Damaged)?;
    Ok(CleanPhoto {
        id,
        jpeg,
        width: rgb.width(),
        height: rgb.height(),
    })
}

fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes.iter().fold(String::new(), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}

#[cfg(test)]
mod tests;
