//! The live part of a walk's public page, for those who follow it from home
//! without joining: where each group is now, the livestream, and the latest
//! approved observations. Rendered as the page is loaded, so it serves without
//! JavaScript (and says to reload); with JavaScript, `follow.js` keeps it
//! current over a read-only socket (`hello` with `follow`, protocol 2.1).
//!
//! The script reads the words it needs from this section (`data-*`), so the
//! page and its live updates say the same things in the page's language.

use super::lang::Lang;
use crate::protocol::walk_report::{ReportObservation, WalkReport};
use html_escape::{encode_double_quoted_attribute as attr, encode_text as text};
use std::fmt::Write;

/// The latest approved observations shown here; the rest are by stop below.
pub const LATEST: usize = 10;

/// One group's line: "Grupp 1 (Lena): vid stopp 2, Torget", or not started.
fn group_line(
    lang: &Lang,
    r: &WalkReport<'_>,
    g: &crate::protocol::walk_report::ReportGroup<'_>,
) -> String {
    let name = if g.leader.is_empty() {
        g.name.to_string()
    } else {
        format!("{} ({})", g.name, g.leader)
    };
    match g.at.and_then(|at| r.stops.iter().find(|s| s.id == at)) {
        Some(stop) => lang
            .t("walk_at_stop")
            .replace("{group}", &name)
            .replace("{n}", &stop.id.to_string())
            .replace("{name}", stop.name),
        None => lang
            .t("walk_group_waiting")
            .replace("{group}", &name)
            .replace("{state}", lang.t("walk_not_started")),
    }
}

/// One observation's first line: where, what, how safe it felt.
fn observation_line(lang: &Lang, r: &WalkReport<'_>, o: &ReportObservation<'_>) -> String {
    let place = match o.stop.and_then(|id| r.stops.iter().find(|s| s.id == id)) {
        Some(s) => format!("{}. {}", s.id, s.name),
        None => lang.t("walk_near").to_string(),
    };
    let category = if *lang == Lang::En {
        o.category.en
    } else {
        o.category.sv
    };
    let felt = lang
        .t("walk_felt_value")
        .replace("{n}", &o.felt_safety.to_string());
    format!("{place} · {category} · {felt}")
}

/// The section, for a walk that is not over. `livestream` may be empty.
pub(super) fn live_html(out: &mut String, r: &WalkReport<'_>, lang: &Lang, livestream: &str) {
    let categories: serde_json::Map<String, serde_json::Value> = r
        .categories
        .iter()
        .map(|c| {
            let name = if *lang == Lang::En { c.en } else { c.sv };
            (c.code.to_string(), name.into())
        })
        .collect();
    let _ = write!(
        out,
        "<section aria-labelledby=\"h-live\" class=\"live\" id=\"live\" data-code=\"{}\" \
         data-categories=\"{}\" data-at-stop=\"{}\" data-waiting=\"{}\" data-not-started=\"{}\" \
         data-near=\"{}\" data-felt=\"{}\" data-photo-alt=\"{}\" data-following=\"{}\" \
         data-reconnecting=\"{}\" data-stopped=\"{}\" data-new-observation=\"{}\">\
         <h2 id=\"h-live\">{}</h2><p class=\"meta\" id=\"live-note\">{}</p>\
         <h3 id=\"h-live-groups\">{}</h3><ul id=\"live-groups\" aria-labelledby=\"h-live-groups\">",
        attr(r.code),
        attr(&serde_json::Value::Object(categories).to_string()),
        attr(lang.t("walk_at_stop")),
        attr(lang.t("walk_group_waiting")),
        attr(lang.t("walk_not_started")),
        attr(lang.t("walk_near")),
        attr(lang.t("walk_felt_value")),
        attr(lang.t("walk_photo_alt")),
        attr(lang.t("walk_live_following")),
        attr(lang.t("walk_live_reconnecting")),
        attr(lang.t("walk_live_stopped")),
        attr(lang.t("walk_live_new_observation")),
        lang.t("walk_live_heading"),
        lang.t("walk_live_note"),
        lang.t("walk_groups_heading"),
    );
    for g in &r.groups {
        let _ = write!(
            out,
            "<li data-group=\"{}\">{}</li>",
            g.id,
            text(&group_line(lang, r, g))
        );
    }
    out.push_str("</ul>");
    if !livestream.is_empty() {
        let _ = write!(
            out,
            "<p id=\"live-stream\">{}: <a href=\"{}\">{}</a></p>",
            lang.t("rec_livestream"),
            attr(livestream),
            text(livestream)
        );
    }
    let _ = write!(
        out,
        "<h3 id=\"h-live-latest\">{}</h3><p class=\"meta\" id=\"live-empty\"{}>{}</p>\
         <ul id=\"live-observations\" class=\"observations\" aria-labelledby=\"h-live-latest\">",
        lang.t("walk_live_latest"),
        if r.observations.is_empty() {
            ""
        } else {
            " hidden"
        },
        lang.t("walk_observations_empty"),
    );
    let mut latest: Vec<_> = r.observations.iter().collect();
    latest.sort_by_key(|o| std::cmp::Reverse(o.id));
    for o in latest.into_iter().take(LATEST) {
        let _ = write!(
            out,
            "<li class=\"observation\" data-id=\"{}\"><p class=\"meta\">{}</p><p class=\"text\">{}</p>",
            o.id,
            text(&observation_line(lang, r, o)),
            text(o.text)
        );
        if let Some(photo) = &o.photo {
            let _ = write!(
                out,
                "<img class=\"photo\" src=\"{}\" alt=\"{} {}\" loading=\"lazy\">",
                attr(photo),
                attr(lang.t("walk_photo_alt")),
                o.id
            );
        }
        out.push_str("</li>");
    }
    // Said by the script as things happen (`announce` in dom.js); empty without it.
    out.push_str(
        "</ul><p class=\"meta\" id=\"announcer\" role=\"status\"></p></section>\
         <script type=\"module\" src=\"/assets/js/follow.js\"></script>",
    );
}
