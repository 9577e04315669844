//! A posted data series drawn on the server as SVG (the `plotters` crate's SVG
//! backend), with a summary in words: the picture for those who see it, the
//! summary and the page's table for those who do not. District posts and a
//! dialogue's information posts are drawn alike.

use crate::domain::Series;
use plotters::prelude::*;

const WIDTH: u32 = 720;
const HEIGHT: u32 = 360;

/// Line colours with at least 3:1 contrast against white (WCAG 1.4.11).
const COLOURS: [RGBColor; 4] = [
    RGBColor(0x00, 0x4b, 0x8d),
    RGBColor(0xb3, 0x40, 0x00),
    RGBColor(0x1b, 0x6b, 0x2f),
    RGBColor(0x6a, 0x2c, 0x91),
];

/// The chart as an SVG document. `title` names it for assistive technology.
pub fn svg(series: &Series, title: &str) -> Result<String, String> {
    let mut out = String::new();
    {
        let root = SVGBackend::with_string(&mut out, (WIDTH, HEIGHT)).into_drawing_area();
        root.fill(&WHITE).map_err(|e| e.to_string())?;
        let (lo, hi) = series.range();
        // Counts start at zero, so a small change does not look like a large one.
        let lo = lo.min(0.0);
        let hi = if hi > lo { hi * 1.05 } else { lo + 1.0 };
        let n = series.rows.len();
        let labels: Vec<&str> = series.rows.iter().map(|(l, _)| l.as_str()).collect();
        let mut chart = ChartBuilder::on(&root)
            .margin(12)
            .x_label_area_size(36)
            .y_label_area_size(56)
            .build_cartesian_2d(0.0..(n.max(2) - 1) as f64, lo..hi)
            .map_err(|e| e.to_string())?;
        chart
            .configure_mesh()
            .x_labels(n.min(12))
            .x_label_formatter(&|x| {
                let i = x.round();
                if (x - i).abs() < 0.01 && i >= 0.0 {
                    labels
                        .get(i as usize)
                        .map_or(String::new(), |l| l.to_string())
                } else {
                    String::new()
                }
            })
            .y_desc(series.names.join(", "))
            .label_style(("sans-serif", 14).into_font().color(&BLACK))
            .axis_desc_style(("sans-serif", 14).into_font().color(&BLACK))
            .light_line_style(RGBColor(0xe6, 0xe6, 0xe6))
            .draw()
            .map_err(|e| e.to_string())?;
        for (i, name) in series.names.iter().enumerate() {
            let colour = COLOURS[i % COLOURS.len()];
            let points: Vec<(f64, f64)> = series
                .rows
                .iter()
                .enumerate()
                .map(|(x, (_, v))| (x as f64, v[i]))
                .collect();
            chart
                .draw_series(LineSeries::new(points.clone(), colour.stroke_width(3)))
                .map_err(|e| e.to_string())?
                .label(name.as_str())
                .legend(move |(x, y)| {
                    PathElement::new(vec![(x, y), (x + 20, y)], colour.stroke_width(3))
                });
            chart
                .draw_series(
                    points
                        .into_iter()
                        .map(|p| Circle::new(p, 4, colour.filled())),
                )
                .map_err(|e| e.to_string())?;
        }
        if series.names.len() > 1 {
            chart
                .configure_series_labels()
                .background_style(WHITE.mix(0.9))
                .border_style(BLACK)
                .label_font(("sans-serif", 14).into_font().color(&BLACK))
                .draw()
                .map_err(|e| e.to_string())?;
        }
        root.present().map_err(|e| e.to_string())?;
    }
    // Named for screen readers: the picture's words are on the page beside it.
    let label = html_escape::encode_double_quoted_attribute(title);
    let title = html_escape::encode_text(title);
    Ok(out
        .replacen(
            "<svg ",
            &format!("<svg role=\"img\" aria-label=\"{label}\" "),
            1,
        )
        .replacen('>', &format!("><title>{title}</title>"), 1))
}

/// A number as the language writes it: decimal comma in Swedish.
pub fn number(v: f64, en: bool) -> String {
    let text = if v.fract() == 0.0 && v.abs() < 1e15 {
        format!("{}", v as i64)
    } else {
        format!("{:.2}", v)
            .trim_end_matches('0')
            .trim_end_matches('.')
            .to_string()
    };
    if en { text } else { text.replace('.', ",") }
}

/// The series in words, one sentence per column: first and last value, lowest and highest.
pub fn summary(series: &Series, en: bool) -> String {
    let mut out = Vec::new();
    for (i, name) in series.names.iter().enumerate() {
        let at = |j: usize| (&series.rows[j].0, series.rows[j].1[i]);
        let last = series.rows.len() - 1;
        let (mut lo, mut hi) = (0, 0);
        for j in 0..series.rows.len() {
            if at(j).1 < at(lo).1 {
                lo = j;
            }
            if at(j).1 > at(hi).1 {
                hi = j;
            }
        }
        let n = |j: usize| number(at(j).1, en);
        let (at_word, lowest, highest) = if en {
            ("in", "lowest", "highest")
        } else {
            ("för", "lägst", "högst")
        };
        out.push(format!(
            "{name}: {} {at_word} {}, {} {at_word} {}; {lowest} {} ({}), {highest} {} ({}).",
            n(0),
            at(0).0,
            n(last),
            at(last).0,
            n(lo),
            at(lo).0,
            n(hi),
            at(hi).0
        ));
    }
    out.join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn draws_an_svg_with_a_title_and_says_it_in_words() {
        let s = Series::parse("Månad;Anmälda brott;Otrygghet\njan;41;12,5\nfeb;38;11\nmar;44;13\n")
            .unwrap();
        let svg = svg(&s, "Brott & otrygghet").unwrap();
        assert!(svg.starts_with("<svg role=\"img\""), "{}", &svg[..80]);
        assert!(svg.contains("<title>Brott &amp; otrygghet</title>"));
        assert!(svg.contains("Anmälda brott"));
        assert_eq!(
            summary(&s, false),
            "Anmälda brott: 41 för jan, 44 för mar; lägst 38 (feb), högst 44 (mar). \
             Otrygghet: 12,5 för jan, 13 för mar; lägst 11 (feb), högst 13 (mar)."
        );
        assert_eq!(number(12.5, true), "12.5");
    }
}
