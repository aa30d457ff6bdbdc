//! Sessions end by themselves: after thirty idle minutes, and twelve hours after sign-in
//! however busy. The tests move the app's clock instead of waiting.

use chrono::Duration;
use reqwest::StatusCode;

use crate::on_both_backends;
use crate::support::TestApp;

async fn a_session_ends_after_thirty_idle_minutes(app: TestApp) {
    let owner = app.sign_in("035199000123").await;
    app.state.clock.advance(Duration::minutes(29));
    assert_eq!(
        owner.get("/v1/me").await.status(),
        StatusCode::OK,
        "29 idle minutes"
    );
    app.state.clock.advance(Duration::minutes(31));
    assert_eq!(
        owner.get("/v1/me").await.status(),
        StatusCode::UNAUTHORIZED,
        "31 idle minutes"
    );
}

async fn a_session_ends_twelve_hours_after_sign_in_however_busy(app: TestApp) {
    let owner = app.sign_in("035199000123").await;
    // A request every 20 minutes keeps it from idling, up to 11 h 40 min…
    for step in 1..36 {
        app.state.clock.advance(Duration::minutes(20));
        let status = owner.get("/v1/me").await.status();
        assert_eq!(status, StatusCode::OK, "after {} minutes", step * 20);
    }
    // …and at 12 h it ends all the same.
    app.state.clock.advance(Duration::minutes(20));
    assert_eq!(owner.get("/v1/me").await.status(), StatusCode::UNAUTHORIZED);
}

on_both_backends!(
    a_session_ends_after_thirty_idle_minutes,
    a_session_ends_twelve_hours_after_sign_in_however_busy
);
