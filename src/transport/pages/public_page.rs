//! The public page of a dialogue: its announcement before the meeting and its
//! record after it (questions and their fates, polls, figures).

use super::lang::Lang;
use super::receipt_lookup::receipt_form;
use super::{answer_and_follow_up, fate_label, head, kind_label};
use crate::protocol::public_record::{RecordQuestion, RecordWire};
use html_escape::{encode_double_quoted_attribute as attr, encode_text as text};
use std::fmt::Write;

/// One question as the record shows it: approved text, answer, promise, fate.
pub(super) fn question_html(out: &mut String, lang: &Lang, q: &RecordQuestion<'_>) {
    let _ = write!(
        out,
        "<article class=\"question\" id=\"q{}\"><h3>{} {}</h3><p class=\"text\">{}</p>",
        q.id,
        lang.t("rec_question"),
        q.id,
        text(q.text)
    );
    if let Some(name) = q.display_name {
        let _ = write!(
            out,
            "<p class=\"meta\">{} {}</p>",
            lang.t("rec_asked_by"),
            text(name)
        );
    }
    let _ = write!(
        out,
        "<p class=\"meta\">{}: {}{} · {}</p><p class=\"fate fate-{}\"><strong>{}</strong></p>",
        lang.t("rec_votes"),
        q.votes,
        burst_share(lang, q.burst_votes as u64),
        lang.t(if q.origin == crate::protocol::OriginWire::InRoom {
            "rec_origin_in_room"
        } else {
            "rec_origin_remote"
        }),
        q.fate.code(),
        fate_label(lang, q.fate)
    );
    answer_and_follow_up(out, lang, q.answer, q.follow_up.as_ref(), "h4");
    out.push_str("</article>");
}

pub(super) fn page_html(
    rec: &RecordWire<'_>,
    lang: &Lang,
    tz: chrono_tz::Tz,
    join_url: &str,
    plan: &str,
) -> String {
    let d = &rec.dialogue;
    let mut out = String::new();
    head(&mut out, lang, &d.info.title);
    let status = match d.phase {
        crate::protocol::PhaseWire::Open => lang.t("rec_status_open"),
        crate::protocol::PhaseWire::Live => lang.t("rec_status_live"),
        crate::protocol::PhaseWire::Closed => lang.t("rec_status_closed"),
        crate::protocol::PhaseWire::Draft => "",
    };
    let _ = write!(
        out,
        "<h1>{}</h1><p class=\"status\">{}</p>",
        text(&d.info.title),
        status
    );
    let taking = matches!(
        d.phase,
        crate::protocol::PhaseWire::Open | crate::protocol::PhaseWire::Live
    );
    if taking {
        let _ = write!(
            out,
            "<p><a class=\"cta\" href=\"/j/{}{}\">{}</a></p>",
            attr(&d.code),
            lang.query(),
            lang.t("rec_ask_now")
        );
    }
    if !d.info.description.is_empty() {
        let _ = write!(out, "<p>{}</p>", text(&d.info.description));
    }
    let _ = write!(
        out,
        "<section aria-labelledby=\"h-purpose\"><h2 id=\"h-purpose\">{}</h2><p>{}</p></section>",
        lang.t("rec_purpose"),
        text(&d.info.purpose)
    );
    out.push_str("<dl class=\"facts\">");
    if let Some(start) = d.info.starts_at {
        let when = match d.info.ends_at {
            Some(end) => format!("{} – {}", lang.time(start, tz), lang.time(end, tz)),
            None => lang.time(start, tz),
        };
        let _ = write!(
            out,
            "<dt>{}</dt><dd>{}</dd>",
            lang.t("rec_when"),
            text(&when)
        );
    }
    if !d.info.venue.is_empty() || !d.info.address.is_empty() {
        let place = [d.info.venue.as_str(), d.info.address.as_str()]
            .into_iter()
            .filter(|s| !s.is_empty())
            .collect::<Vec<_>>()
            .join(", ");
        let _ = write!(
            out,
            "<dt>{}</dt><dd>{}</dd>",
            lang.t("rec_where"),
            text(&place)
        );
    }
    if !d.info.livestream_url.is_empty() {
        let _ = write!(
            out,
            "<dt>{}</dt><dd><a href=\"{}\">{}</a></dd>",
            lang.t("rec_livestream"),
            attr(&d.info.livestream_url),
            text(&d.info.livestream_url)
        );
    }
    out.push_str("</dl>");
    if d.phase != crate::protocol::PhaseWire::Closed {
        let _ = write!(
            out,
            "<section aria-labelledby=\"h-remote\"><h2 id=\"h-remote\">{}</h2><p>{}</p>\
             <p><a href=\"{}\"><bdi dir=\"ltr\">{}</bdi></a> · {} <strong><bdi dir=\"ltr\">{}</bdi></strong></p>\
             <img class=\"qr\" src=\"/qr/{}\" alt=\"{}\" width=\"160\" height=\"160\"></section>",
            lang.t("rec_remote_title"),
            lang.t("rec_remote_howto"),
            attr(join_url),
            text(join_url),
            lang.t("rec_code"),
            text(&d.code),
            attr(&d.code),
            lang.t("rec_qr_alt"),
        );
    }
    if !d.panel.is_empty() {
        let _ = write!(
            out,
            "<section aria-labelledby=\"h-panel\"><h2 id=\"h-panel\">{}</h2><ul class=\"panel\">",
            lang.t("rec_panel")
        );
        for p in &d.panel {
            let detail = [p.title.as_str(), p.organisation.as_str()]
                .into_iter()
                .filter(|s| !s.is_empty())
                .collect::<Vec<_>>()
                .join(", ");
            let _ = write!(
                out,
                "<li><strong>{}</strong>{}{} <span class=\"kind\">({})</span></li>",
                text(&p.name),
                if detail.is_empty() { "" } else { ", " },
                text(&detail),
                kind_label(lang, p.kind)
            );
        }
        out.push_str("</ul></section>");
    }
    if !rec.posts.is_empty() {
        let _ = write!(
            out,
            "<section aria-labelledby=\"h-posts\"><h2 id=\"h-posts\">{}</h2>",
            lang.t("rec_posts")
        );
        for p in &rec.posts {
            let _ = write!(
                out,
                "<article class=\"post\" id=\"post-{}\"><p>{}</p><p class=\"meta\">{} {}",
                p.id,
                text(p.text),
                lang.t("rec_source"),
                text(p.source)
            );
            if let Some(link) = p.link {
                let _ = write!(out, " · <a href=\"{}\">{}</a>", attr(link), text(link));
            }
            if p.edited_at.is_some() {
                let _ = write!(out, " · {}", lang.t("rec_edited"));
            }
            out.push_str("</p>");
            if let Some(data) = &p.data {
                let data = crate::domain::PostData::from(data.clone());
                let src = format!("/d/{}/posts/{}/chart.svg", d.code, p.id);
                super::charts::figure(&mut out, lang, &data.series, &data.source, &src);
            }
            out.push_str("</article>");
        }
        out.push_str("</section>");
    }
    if !rec.questions.is_empty() || rec.is_final {
        let _ = write!(
            out,
            "<section aria-labelledby=\"h-questions\"><h2 id=\"h-questions\">{}</h2>",
            lang.t(if rec.is_final {
                "rec_questions_final"
            } else {
                "rec_questions_so_far"
            })
        );
        if rec.is_final && !plan.is_empty() && rec.figures.not_reached > 0 {
            let _ = write!(
                out,
                "<p><strong>{}</strong> {}</p>",
                lang.t("rec_unreached_plan"),
                text(plan)
            );
        }
        for q in &rec.questions {
            question_html(&mut out, lang, q);
        }
        out.push_str("</section>");
    }
    polls_html(&mut out, lang, rec);
    if !rec.questions.is_empty() || rec.is_final {
        figures_html(&mut out, lang, rec);
    }
    let _ = write!(
        out,
        "<section aria-labelledby=\"h-files\" class=\"files\"><h2 id=\"h-files\">{}</h2><ul>\
         <li><a href=\"/d/{code}/calendar.ics\">{}</a></li>\
         <li><a href=\"/d/{code}/record.csv\">{}</a></li>\
         <li><a href=\"/d/{code}/record.json\">{}</a></li></ul></section>",
        lang.t("rec_files"),
        lang.t("rec_calendar"),
        lang.t("rec_csv"),
        lang.t("rec_json"),
        code = attr(&d.code),
    );
    receipt_form(&mut out, lang, "");
    out.push_str("</main></body></html>");
    out
}

/// " (of which 3 from burst identities)", or nothing when none were.
fn burst_share(lang: &Lang, n: u64) -> String {
    if n == 0 {
        return String::new();
    }
    format!(
        " ({})",
        lang.t("rec_burst_of").replace("{n}", &n.to_string())
    )
}

/// Polls with public results: the question, each option's count and share.
pub(super) fn polls_html(out: &mut String, lang: &Lang, rec: &RecordWire<'_>) {
    let shown: Vec<_> = rec.polls.iter().filter(|p| p.results.is_some()).collect();
    if shown.is_empty() {
        return;
    }
    let _ = write!(
        out,
        "<section aria-labelledby=\"h-polls\"><h2 id=\"h-polls\">{}</h2>",
        lang.t("rec_polls")
    );
    for p in shown {
        let Some(r) = &p.results else { continue };
        let _ = write!(
            out,
            "<article class=\"poll\"><h3>{}</h3><table class=\"figures\"><tbody>",
            text(&p.question)
        );
        let burst = r.burst.as_ref();
        for (i, (option, n)) in p.options.iter().zip(&r.counts).enumerate() {
            let share = crate::domain::poll::percent(*n, r.respondents);
            let from_burst = burst.and_then(|b| b.counts.get(i)).copied().unwrap_or(0);
            let _ = write!(
                out,
                "<tr><th scope=\"row\">{}</th><td>{n} ({share} %){}</td></tr>",
                text(option),
                burst_share(lang, from_burst)
            );
        }
        let _ = write!(
            out,
            "</tbody></table><p class=\"meta\">{} {}{}</p></article>",
            lang.t("rec_poll_respondents"),
            r.respondents,
            burst_share(lang, burst.map_or(0, |b| b.respondents))
        );
    }
    out.push_str("</section>");
}

pub(super) fn figures_html(out: &mut String, lang: &Lang, rec: &RecordWire<'_>) {
    let f = &rec.figures;
    let _ = write!(
        out,
        "<section aria-labelledby=\"h-figures\"><h2 id=\"h-figures\">{}</h2><table class=\"figures\"><tbody>",
        lang.t("rec_figures")
    );
    let mut row = |label: &str, n: String| {
        let _ = write!(out, "<tr><th scope=\"row\">{label}</th><td>{n}</td></tr>");
    };
    if let Some(a) = f.attendance {
        // Counted apart: a code typed from the screen, and a word taken on trust.
        row(lang.t("rec_fig_verified"), a.verified.to_string());
        row(lang.t("rec_fig_in_room"), a.in_room.to_string());
        row(lang.t("rec_fig_remote"), a.remote.to_string());
    }
    row(lang.t("rec_fig_asked"), f.questions_asked.to_string());
    row(lang.t("rec_fig_approved"), f.approved.to_string());
    let rejected: u64 = f.rejected.values().sum();
    let by_reason = f
        .rejected
        .iter()
        .map(|(reason, n)| format!("{} {n}", lang.t(&format!("reason_{reason}"))))
        .collect::<Vec<_>>()
        .join(", ");
    row(
        lang.t("rec_fig_rejected"),
        if by_reason.is_empty() {
            rejected.to_string()
        } else {
            format!("{rejected} ({})", text(&by_reason))
        },
    );
    row(lang.t("rec_fig_merged"), f.merged.to_string());
    row(lang.t("rec_fig_answered_live"), f.answered_live.to_string());
    row(
        lang.t("rec_fig_in_writing"),
        f.answered_in_writing.to_string(),
    );
    row(lang.t("rec_fig_followed_up"), f.followed_up.to_string());
    row(lang.t("rec_fig_not_reached"), f.not_reached.to_string());
    // Only a walk notes observations in a report.
    if f.noted > 0 {
        row(lang.t("rec_fig_noted"), f.noted.to_string());
    }
    // Counted apart, never left out: the totals above and beside each question
    // include them (docs/operations.md, stuffing).
    row(
        lang.t("rec_fig_burst_votes"),
        f.counting.burst_votes.to_string(),
    );
    row(
        lang.t("rec_fig_burst_answers"),
        f.counting.burst_respondents.to_string(),
    );
    let _ = write!(
        out,
        "</tbody></table><p class=\"meta\" id=\"counting\">{}</p></section>",
        lang.t("rec_counting_note")
    );
}
