//! A walk's photos over REST: what an upload answers, what a moderator sends
//! to blur and decide, and the refusal that says why a photo was not taken.

use crate::photo::{PhotoError, Region};
use serde::{Deserialize, Serialize};

/// `201` to `POST /api/dialogues/{id}/photos`: the id an observation names.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PhotoUploaded {
    pub photo_id: String,
    pub width: u32,
    pub height: u32,
}

/// A rectangle to blur, in the stored photo's pixels.
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RegionWire {
    pub x: u32,
    pub y: u32,
    pub width: u32,
    pub height: u32,
}

impl From<RegionWire> for Region {
    fn from(r: RegionWire) -> Region {
        Region {
            x: r.x,
            y: r.y,
            width: r.width,
            height: r.height,
        }
    }
}

/// The body of `…/preview` and `…/approve`: the rectangles to blur (none: the
/// photo is published as it is).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BlurBody {
    #[serde(default)]
    pub regions: Vec<RegionWire>,
}

/// `200` to `…/approve` and `…/reject`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PhotoDecided {
    pub photo_id: String,
    /// `published` or `rejected`.
    pub state: &'static str,
    /// The published copy's id (its public path is `/d/{code}/photos/{id}.jpg`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub published_id: Option<String>,
    /// Where `photo_published` stands in the log (none: it stood there before).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub seq: Option<u64>,
}

/// A photo not taken: the error body of every other answer, with `reason`, a
/// stable code for programs (`photo_too_large`, `not_an_image`,
/// `unsupported_image`, `too_many_pixels`, `damaged_image`, `bad_region`,
/// `too_many_regions`).
#[derive(Debug, Clone, Serialize)]
pub struct PhotoRefusal {
    pub code: super::ErrorCode,
    pub message: String,
    pub retryable: bool,
    pub reason: &'static str,
}

impl PhotoRefusal {
    pub fn new(e: &PhotoError) -> PhotoRefusal {
        PhotoRefusal {
            code: super::ErrorCode::BadRequest,
            message: e.to_string(),
            retryable: false,
            reason: e.code(),
        }
    }

    /// The HTTP status: 413 too large, 415 not an image we take, 422 the rest.
    pub fn status(e: &PhotoError) -> u16 {
        match e {
            PhotoError::TooLarge { .. } => 413,
            PhotoError::NotAnImage | PhotoError::UnsupportedFormat => 415,
            PhotoError::TooManyPixels { .. }
            | PhotoError::Damaged
            | PhotoError::BadRegion
            | PhotoError::TooManyRegions => 422,
        }
    }
}
