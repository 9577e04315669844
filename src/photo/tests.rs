use super::*;

/// A photo of `w`×`h` with detail everywhere (so blurring shows).
fn picture(w: u32, h: u32) -> RgbImage {
    RgbImage::from_fn(w, h, |x, y| {
        image::Rgb([
            (x * 7 % 256) as u8,
            (y * 13 % 256) as u8,
            ((x ^ y) * 5 % 256) as u8,
        ])
    })
}

fn jpeg(img: &RgbImage) -> Vec<u8> {
    let mut out = Vec::new();
    img.write_with_encoder(image::codecs::jpeg::JpegEncoder::new_with_quality(
        &mut out, 92,
    ))
    .unwrap();
    out
}

/// A TIFF block as a phone writes it: the camera's make and a GPS position
/// (59°19'45.6"N 18°4'7.2"E), little-endian.
fn exif_tiff() -> Vec<u8> {
    let mut t: Vec<u8> = b"II*\0".to_vec();
    t.extend(8u32.to_le_bytes());
    let entry = |t: &mut Vec<u8>, tag: u16, kind: u16, count: u32, value: u32| {
        t.extend(tag.to_le_bytes());
        t.extend(kind.to_le_bytes());
        t.extend(count.to_le_bytes());
        t.extend(value.to_le_bytes());
    };
    // IFD0 at 8: Make (ASCII at 38), GPS IFD pointer (at 48).
    t.extend(2u16.to_le_bytes());
    entry(&mut t, 0x010F, 2, 10, 38);
    entry(&mut t, 0x8825, 4, 1, 48);
    t.extend(0u32.to_le_bytes());
    t.extend(b"SecretCam\0");
    // GPS IFD at 48: refs inline, rationals at 102 and 126.
    t.extend(4u16.to_le_bytes());
    entry(&mut t, 0x0001, 2, 2, u32::from_le_bytes(*b"N\0\0\0"));
    entry(&mut t, 0x0002, 5, 3, 102);
    entry(&mut t, 0x0003, 2, 2, u32::from_le_bytes(*b"E\0\0\0"));
    entry(&mut t, 0x0004, 5, 3, 126);
    t.extend(0u32.to_le_bytes());
    for (n, d) in [(59, 1), (19, 1), (456, 10), (18, 1), (4, 1), (72, 10)] {
        t.extend((n as u32).to_le_bytes());
        t.extend((d as u32).to_le_bytes());
    }
    assert_eq!(t.len(), 150);
    t
}

/// A JPEG with an APP1 Exif segment right after its start marker.
fn with_exif(jpeg: &[u8]) -> Vec<u8> {
    let tiff = exif_tiff();
    let mut out = jpeg[..2].to_vec();
    out.extend([0xFF, 0xE1]);
    out.extend(((2 + 6 + tiff.len()) as u16).to_be_bytes());
    out.extend(b"Exif\0\0");
    out.extend(tiff);
    out.extend(&jpeg[2..]);
    out
}

fn gps_latitude(bytes: &[u8]) -> Option<String> {
    let exif = exif::Reader::new()
        .read_from_container(&mut Cursor::new(bytes))
        .ok()?;
    let f = exif.get_field(exif::Tag::GPSLatitude, exif::In::PRIMARY)?;
    Some(f.display_value().to_string())
}

#[test]
fn a_photo_with_a_gps_position_comes_out_with_no_metadata_at_all() {
    let upload = with_exif(&jpeg(&picture(320, 240)));
    // The test's own photo really carries a position an EXIF reader finds.
    assert!(gps_latitude(&upload).is_some_and(|l| l.contains("59")));
    let clean = clean(&upload, &PhotoLimits::default()).unwrap();
    assert!(
        exif::Reader::new()
            .read_from_container(&mut Cursor::new(&clean.jpeg))
            .is_err(),
        "an EXIF block survived"
    );
    let has = |needle: &[u8]| clean.jpeg.windows(needle.len()).any(|w| w == needle);
    assert!(!has(b"Exif") && !has(b"SecretCam") && !has(b"http://ns.adobe.com"));
    // Only the start marker, JFIF's APP0 and image segments: no APPn but APP0, no COM.
    let mut i = 2;
    while i + 4 <= clean.jpeg.len() && clean.jpeg[i] == 0xFF {
        let marker = clean.jpeg[i + 1];
        if marker == 0xDA {
            break; // scan data follows
        }
        assert!(
            marker == 0xE0 || !(0xE1..=0xEF).contains(&marker) && marker != 0xFE,
            "metadata segment {marker:#x}"
        );
        let len = u16::from_be_bytes([clean.jpeg[i + 2], clean.jpeg[i + 3]]) as usize;
        i += 2 + len;
    }
    assert_eq!((clean.width, clean.height), (320, 240));
    let hash = Sha256::digest(&clean.jpeg);
    assert_eq!(clean.id.as_str(), hex(&hash));
    // The same upload gives the same photo: the blob's key is its content.
    assert_eq!(
        clean.id,
        super::clean(&upload, &PhotoLimits::default()).unwrap().id
    );
}

#[test]
fn png_and_webp_are_taken_and_stored_as_jpeg() {
    let img = DynamicImage::ImageRgb8(picture(64, 48));
    for format in [ImageFormat::Png, ImageFormat::WebP] {
        let mut bytes = Vec::new();
        img.write_to(&mut Cursor::new(&mut bytes), format).unwrap();
        let clean = clean(&bytes, &PhotoLimits::default()).unwrap();
        assert_eq!(&clean.jpeg[..3], &[0xFF, 0xD8, 0xFF], "{format:?}");
        assert_eq!((clean.width, clean.height), (64, 48));
    }
}

#[test]
fn a_big_photo_is_scaled_to_the_stored_size() {
    let limits = PhotoLimits {
        stored_side: 200,
        ..PhotoLimits::default()
    };
    let clean = clean(&jpeg(&picture(800, 400)), &limits).unwrap();
    assert_eq!((clean.width, clean.height), (200, 100));
}

#[test]
fn what_is_not_an_image_is_refused_with_its_reason() {
    let limits = PhotoLimits::default();
    assert_eq!(
        clean(b"hello, this is text", &limits),
        Err(PhotoError::NotAnImage)
    );
    assert_eq!(clean(b"", &limits), Err(PhotoError::NotAnImage));
    assert_eq!(
        clean(b"GIF89a\x01\x00\x01\x00\x00\x00\x00;", &limits),
        Err(PhotoError::UnsupportedFormat)
    );
    // (A cut JPEG decodes, grey where data is missing; a cut PNG does not.)
    let mut png = Vec::new();
    DynamicImage::ImageRgb8(picture(64, 64))
        .write_to(&mut Cursor::new(&mut png), ImageFormat::Png)
        .unwrap();
    assert_eq!(
        clean(&png[..png.len() / 2], &limits),
        Err(PhotoError::Damaged)
    );
    let whole = jpeg(&picture(64, 64));
    let small = PhotoLimits {
        max_bytes: 1000,
        ..limits
    };
    assert_eq!(
        clean(&whole, &small),
        Err(PhotoError::TooLarge {
            bytes: whole.len(),
            max: 1000
        })
    );
}

fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = 0xFFFF_FFFFu32;
    for &b in bytes {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

/// A PNG whose header claims `w`×`h` pixels, with almost no data behind it.
fn claimed_png(w: u32, h: u32) -> Vec<u8> {
    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut chunk = |kind: &[u8], data: &[u8]| {
        out.extend((data.len() as u32).to_be_bytes());
        let mut body = kind.to_vec();
        body.extend(data);
        out.extend(&body);
        out.extend(crc32(&body).to_be_bytes());
    };
    let mut ihdr = w.to_be_bytes().to_vec();
    ihdr.extend(h.to_be_bytes());
    ihdr.extend([8, 2, 0, 0, 0]);
    chunk(b"IHDR", &ihdr);
    chunk(b"IDAT", &[0x78, 0x9c, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01]);
    chunk(b"IEND", &[]);
    out
}

#[test]
fn a_decompression_bomb_is_refused_before_it_is_decoded() {
    let limits = PhotoLimits::default();
    // 100,000 × 100,000 pixels claimed by a file of a few dozen bytes.
    let bomb = claimed_png(100_000, 100_000);
    assert!(bomb.len() < 100);
    assert!(matches!(
        clean(&bomb, &limits),
        Err(PhotoError::TooManyPixels { .. })
    ));
    // Within each side's limit but too many pixels in all: 11,000 × 11,000.
    assert!(matches!(
        clean(&claimed_png(11_000, 11_000), &limits),
        Err(PhotoError::TooManyPixels {
            width: 11_000,
            height: 11_000,
            ..
        })
    ));
    // A real one: 4000 × 4000 black pixels deflate to a small file.
    let black = DynamicImage::ImageLuma8(image::GrayImage::new(4000, 4000));
    let mut bytes = Vec::new();
    black
        .write_to(&mut Cursor::new(&mut bytes), ImageFormat::Png)
        .unwrap();
    assert!(bytes.len() < 100_000, "{}", bytes.len());
    let tight = PhotoLimits {
        max_pixels: 4_000_000,
        ..limits
    };
    assert!(matches!(
        clean(&bytes, &tight),
        Err(PhotoError::TooManyPixels { .. })
    ));
}

fn mean_difference(a: &RgbImage, b: &RgbImage, r: Region) -> f64 {
    let mut sum = 0u64;
    for y in r.y..r.y + r.height {
        for x in r.x..r.x + r.width {
            let (p, q) = (a.get_pixel(x, y).0, b.get_pixel(x, y).0);
            sum += (0..3).map(|c| u64::from(p[c].abs_diff(q[c]))).sum::<u64>();
        }
    }
    sum as f64 / f64::from(r.width * r.height * 3)
}

#[test]
fn a_blurred_rectangle_differs_and_the_rest_stays() {
    let limits = PhotoLimits::default();
    let stored = clean(&jpeg(&picture(320, 240)), &limits).unwrap();
    let face = Region {
        x: 100,
        y: 60,
        width: 80,
        height: 96,
    };
    let blurred = blur(&stored.jpeg, &[face], &limits).unwrap();
    assert_ne!(blurred.id, stored.id);
    let before = image::load_from_memory(&stored.jpeg).unwrap().to_rgb8();
    let after = image::load_from_memory(&blurred.jpeg).unwrap().to_rgb8();
    assert!(mean_difference(&before, &after, face) > 20.0);
    let corner = Region {
        x: 0,
        y: 0,
        width: 80,
        height: 50,
    };
    assert!(mean_difference(&before, &after, corner) < 4.0);
}

#[test]
fn a_rectangle_outside_the_photo_is_refused() {
    let limits = PhotoLimits::default();
    let stored = clean(&jpeg(&picture(100, 100)), &limits).unwrap();
    for r in [
        Region {
            x: 90,
            y: 0,
            width: 20,
            height: 10,
        },
        Region {
            x: 0,
            y: 0,
            width: 0,
            height: 10,
        },
        Region {
            x: u32::MAX,
            y: 0,
            width: 2,
            height: 2,
        },
    ] {
        assert_eq!(
            blur(&stored.jpeg, &[r], &limits),
            Err(PhotoError::BadRegion)
        );
    }
    let many = vec![
        Region {
            x: 0,
            y: 0,
            width: 1,
            height: 1
        };
        MAX_REGIONS + 1
    ];
    assert_eq!(
        blur(&stored.jpeg, &many, &limits),
        Err(PhotoError::TooManyRegions)
    );
}
