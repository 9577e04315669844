//! The client-message decoder: any text frame decodes or gets a typed error, and a
//! decoded submission turns into a command or a typed error. Never a panic.
#![no_main]

use dialoghub::protocol::{ErrorCode, decode};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // The transport hands over text frames only; binary frames are refused before this.
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    match decode(text) {
        Ok(msg) => {
            if let Err(e) = msg.into_command(500) {
                assert_eq!(e.code, ErrorCode::BadRequest, "{}", e.message);
                assert!(!e.message.is_empty());
            }
        }
        Err(e) => {
            assert!(matches!(
                e.code,
                ErrorCode::Malformed | ErrorCode::UnknownType | ErrorCode::BadRequest
            ));
            assert!(!e.message.is_empty());
        }
    }
});
