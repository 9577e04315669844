//! Positions on the ground, and making a phone's position coarse before it is stored.
//!
//! A stop's position is the organizer's: kept to 1e-5 degrees (about a metre).
//! A participant's phone position is personal data: it only ever enters the state
//! as a [`Position`] snapped to the centre of a grid cell of the deployment's size,
//! so everyone in one cell gets the same point and the exact one is never kept.

/// Metres per degree of latitude (and of longitude at the equator), WGS 84 mean.
const METRES_PER_DEGREE: f64 = 111_320.0;

/// A WGS 84 position in millionths of a degree (exact and comparable).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Position {
    lat_e6: i32,
    lon_e6: i32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum PositionError {
    #[error("latitude must be between -90 and 90 and longitude between -180 and 180")]
    OutOfRange,
}

fn checked(lat: f64, lon: f64) -> Result<(), PositionError> {
    let ok = lat.is_finite()
        && lon.is_finite()
        && (-90.0..=90.0).contains(&lat)
        && (-180.0..=180.0).contains(&lon);
    if ok {
        Ok(())
    } else {
        Err(PositionError::OutOfRange)
    }
}

fn e6(deg: f64) -> i32 {
    (deg * 1e6).round() as i32
}

impl Position {
    /// A place the organizer chose (a stop): rounded to 1e-5 degrees.
    pub fn exact(lat: f64, lon: f64) -> Result<Position, PositionError> {
        checked(lat, lon)?;
        let r = |d: f64| (d * 1e5).round() / 1e5;
        Ok(Position {
            lat_e6: e6(r(lat)),
            lon_e6: e6(r(lon)),
        })
    }

    /// A person's position made coarse: the centre of the grid cell of `cell_m`
    /// metres that holds it. Rows are `cell_m` of latitude high; each row's cells
    /// are `cell_m` wide at the row's centre, so a cell is about square anywhere
    /// but near the poles (where a row is one cell wide).
    pub fn coarsened(lat: f64, lon: f64, cell_m: u32) -> Result<Position, PositionError> {
        checked(lat, lon)?;
        let cell_m = f64::from(cell_m.max(1));
        let lat_step = cell_m / METRES_PER_DEGREE;
        let row = (lat / lat_step).floor();
        let lat_c = ((row + 0.5) * lat_step).clamp(-90.0, 90.0);
        let width = METRES_PER_DEGREE * lat_c.to_radians().cos();
        let lon_c = if width * 360.0 <= cell_m {
            0.0
        } else {
            let lon_step = cell_m / width;
            let col = ((lon + 180.0) / lon_step).floor();
            ((col + 0.5) * lon_step - 180.0).clamp(-180.0, 180.0)
        };
        Ok(Position {
            lat_e6: e6(lat_c),
            lon_e6: e6(lon_c),
        })
    }

    /// A position read back from the log: already exact or coarse when written.
    pub fn from_e6(lat_e6: i32, lon_e6: i32) -> Result<Position, PositionError> {
        let p = Position { lat_e6, lon_e6 };
        checked(p.lat(), p.lon())?;
        Ok(p)
    }

    pub fn lat_e6(self) -> i32 {
        self.lat_e6
    }

    pub fn lon_e6(self) -> i32 {
        self.lon_e6
    }

    pub fn lat(self) -> f64 {
        f64::from(self.lat_e6) / 1e6
    }

    pub fn lon(self) -> f64 {
        f64::from(self.lon_e6) / 1e6
    }

    /// Distance in metres (equirectangular: exact enough within a town).
    pub fn metres_to(self, other: Position) -> f64 {
        let mid = ((self.lat() + other.lat()) / 2.0).to_radians();
        let dy = (self.lat() - other.lat()) * METRES_PER_DEGREE;
        let dx = (self.lon() - other.lon()) * METRES_PER_DEGREE * mid.cos();
        (dx * dx + dy * dy).sqrt()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stop_keeps_about_a_metre() {
        let p = Position::exact(59.329_323_4, 18.068_580_9).unwrap();
        assert_eq!((p.lat_e6(), p.lon_e6()), (59_329_320, 18_068_580));
    }

    #[test]
    fn nonsense_positions_are_refused() {
        for (lat, lon) in [
            (91.0, 0.0),
            (0.0, -180.5),
            (f64::NAN, 0.0),
            (0.0, f64::INFINITY),
        ] {
            assert_eq!(Position::exact(lat, lon), Err(PositionError::OutOfRange));
            assert_eq!(
                Position::coarsened(lat, lon, 100),
                Err(PositionError::OutOfRange)
            );
        }
        assert!(Position::from_e6(90_000_001, 0).is_err());
    }

    #[test]
    fn a_phone_position_becomes_its_cells_centre() {
        let (lat, lon) = (59.334_591, 18.063_240);
        let coarse = Position::coarsened(lat, lon, 100).unwrap();
        let exact = Position::exact(lat, lon).unwrap();
        assert_ne!(coarse, exact, "the exact position is not kept");
        // Within half a cell's diagonal of where the phone was.
        assert!(
            coarse.metres_to(exact) <= 71.0,
            "{}",
            coarse.metres_to(exact)
        );
        // Anyone nearby in the same cell gets the same point.
        let neighbour = Position::coarsened(lat + 0.000_05, lon - 0.000_05, 100).unwrap();
        let far = Position::coarsened(lat + 0.01, lon, 100).unwrap();
        assert_eq!(coarse, neighbour);
        assert_ne!(coarse, far);
        // Coarsening a coarse position changes nothing.
        assert_eq!(
            Position::coarsened(coarse.lat(), coarse.lon(), 100).unwrap(),
            coarse
        );
    }

    #[test]
    fn cells_are_about_as_wide_as_high_in_sweden_and_stay_valid_at_the_edges() {
        let a = Position::coarsened(65.58, 22.15, 250).unwrap();
        let east = Position::coarsened(65.58, 22.15 + 250.0 / (111_320.0 * 0.413), 250).unwrap();
        let d = a.metres_to(east);
        assert!((200.0..=300.0).contains(&d), "{d}");
        for (lat, lon) in [(90.0, 180.0), (-90.0, -180.0), (89.9999, 179.9999)] {
            let p = Position::coarsened(lat, lon, 500).unwrap();
            assert!(Position::from_e6(p.lat_e6(), p.lon_e6()).is_ok());
        }
    }
}
