//! Facts with pictures: a dialogue's information post with a data series is
//! drawn on the server, shown on the public page with its numbers as a table,
//! and shown large on the venue screen when a moderator says so.

use crate::harness::TestApp;
use serde_json::json;

const CSV: &str = "Månad;Anmälda brott;Varav rån\njul;198;12\naug;221;9,5\nsep;240;14\n";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_post_with_a_series_is_drawn_tabled_and_shown_on_the_screen_by_a_moderator() {
    let app = TestApp::spawn().await;
    let dialogue = app.live_dialogue().await;
    let (_, mut panelist) = dialogue.panelist("Per Polis", "police").await;
    let mut moderator = dialogue.moderator().await;
    let mut screen = dialogue.screen().await;
    let mut anna = dialogue.participant().await;
    let e = &dialogue.endpoint;

    // A CSV that is no series is refused by name, over the socket and over REST.
    let bad = panelist
        .submit(json!({"type": "post", "text": "Brott", "source": "Polisen",
                       "data": {"csv": "Månad;Brott\njan;många\n", "source": "Brå"}}))
        .await;
    assert_eq!(bad["code"], "bad_csv", "{bad}");
    assert!(bad["message"].as_str().unwrap().contains("row 2"), "{bad}");
    let (status, body) = e
        .post(
            &format!("/api/dialogues/{}/posts", dialogue.id),
            &dialogue.organizer,
            json!({"text": "Brott", "source": "Polisen",
                   "data": {"csv": "bara en kolumn\n1\n", "source": "Brå"}}),
        )
        .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (400, Some("bad_csv")),
        "{body}"
    );

    // A panelist posts figures with their source: acknowledged after commit.
    let ack = panelist
        .submit(
            json!({"type": "post", "text": "Anmälda brott per månad i Hägersten.",
                       "source": "Polisen", "data": {"csv": CSV, "source": "Brå, anmälda brott"}}),
        )
        .await;
    assert_eq!(ack["type"], "ack", "{ack}");
    assert!(ack["seq"].as_u64().is_some(), "{ack}");
    let posted = anna.event("info_posted").await;
    let data = &posted["event"]["data"];
    assert_eq!(data["source"], "Brå, anmälda brott");
    assert_eq!(data["names"], json!(["Anmälda brott", "Varav rån"]));
    assert_eq!(
        data["rows"][1],
        json!({"label": "aug", "values": [221.0, 9.5]})
    );
    let post = posted["event"]["post_id"].as_u64().unwrap();

    // The chart is SVG that parses as XML, named for assistive technology.
    let chart = format!("/d/{}/posts/{post}/chart.svg", dialogue.code);
    let (status, mime, svg) = e.get_text(&chart, None).await;
    assert_eq!((status, mime.as_str()), (200, "image/svg+xml"), "{svg}");
    let doc = roxmltree::Document::parse(&svg).expect("the chart is XML");
    assert_eq!(doc.root_element().attribute("role"), Some("img"));
    assert!(
        doc.descendants()
            .any(|n| n.has_tag_name("title") && n.text() == Some("Anmälda brott, Varav rån"))
    );
    assert_eq!(
        doc.descendants()
            .filter(|n| n.has_tag_name("circle"))
            .count(),
        6,
        "a point per number"
    );
    let (status, _, _) = e
        .get_text(&format!("/d/{}/posts/99/chart.svg", dialogue.code), None)
        .await;
    assert_eq!(status, 404);

    // The public page shows the chart, its words and the posted numbers in a table.
    let (_, _, html) = e.get_text(&format!("/d/{}", dialogue.code), None).await;
    assert!(html.contains(&chart), "the page shows the chart");
    assert!(html.contains("Brå, anmälda brott"));
    assert!(
        html.contains("lägst 198 (jul), högst 240 (sep)"),
        "the summary in words"
    );
    let table = html
        .split("<table class=\"figures data\">")
        .nth(1)
        .expect("a table of the numbers")
        .split("</table>")
        .next()
        .unwrap();
    for cell in [
        "<th scope=\"col\">Månad</th><th scope=\"col\">Anmälda brott</th><th scope=\"col\">Varav rån</th>",
        "<th scope=\"row\">jul</th><td>198</td><td>12</td>",
        "<th scope=\"row\">aug</th><td>221</td><td>9,5</td>",
        "<th scope=\"row\">sep</th><td>240</td><td>14</td>",
    ] {
        assert!(table.contains(cell), "{cell} in {table}");
    }
    // And the record keeps the series.
    let (_, record) = e
        .get(&format!("/d/{}/record.json", dialogue.code), None)
        .await;
    assert_eq!(
        record["posts"][0]["data"]["rows"][2]["values"],
        json!([240.0, 14.0])
    );

    // A participant may not put it on the screen; a moderator may, as an event with seq.
    let refused = anna
        .submit(json!({"type": "show_post", "post_id": post}))
        .await;
    assert_eq!(refused["code"], "forbidden", "{refused}");
    let missing = moderator
        .submit(json!({"type": "show_post", "post_id": 99}))
        .await;
    assert_eq!(missing["code"], "not_found", "{missing}");
    let ack = moderator
        .submit(json!({"type": "show_post", "post_id": post}))
        .await;
    assert_eq!(ack["type"], "ack", "{ack}");
    let shown = screen.event("post_shown").await;
    assert_eq!(shown["event"]["post_id"], post);
    assert_eq!(
        shown["seq"], ack["seq"],
        "the screen gets the event at its seq"
    );

    // A screen that connects later learns it from its snapshot; hiding is an event too.
    let late = dialogue.screen().await;
    assert_eq!(late.snapshot.as_ref().unwrap()["shown_post"], post);
    let ack = moderator
        .submit(json!({"type": "show_post", "post_id": null}))
        .await;
    assert_eq!(ack["type"], "ack", "{ack}");
    let hidden = screen
        .wait_for("the post hidden", |v| {
            v["type"] == "event"
                && v["event"]["kind"] == "post_shown"
                && v["event"]["post_id"].is_null()
        })
        .await;
    assert_eq!(hidden["seq"], ack["seq"]);
}
