//! Kho's pages for people: server-rendered (askama), complete without JavaScript, under the
//! strict CSP, in Vietnamese or English. Handlers here parse forms, call the same services as
//! the API, and render; failures become pages ([`failure`]), never JSON.

mod access_log;
mod acting;
mod assets;
mod consent_screen;
mod consents;
mod counter;
mod documents;
mod failure;
mod form;
mod frame;
mod home;
pub mod i18n;
mod my_data;
mod notices;
mod render;
mod security_headers;
mod settings;
mod verify_page;

pub use failure::sign_in_failed;
pub use home::{dev_sign_in, dev_sign_in_page};
pub use notices::notice_mail;
pub use security_headers::{csp_with_form_target, security_headers};

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post};

use crate::app::AppState;

/// The pages, with the layer that renders their failures.
pub fn routes(state: &AppState) -> Router<AppState> {
    let upload_limit = documents::upload_body_limit(state.settings.max_upload_bytes);
    Router::new()
        .route("/", get(home::index))
        .route("/privacy", get(home::privacy))
        .route("/language", post(home::switch_language))
        .route("/assets/{name}", get(assets::asset))
        .route("/documents", get(documents::list::page))
        .route(
            "/documents/new",
            get(documents::upload::form)
                .post(documents::upload::submit)
                .layer(DefaultBodyLimit::max(upload_limit)),
        )
        .route("/documents/{id}", get(documents::show::page))
        .route("/documents/{id}/download", get(documents::show::download))
        .route("/documents/{id}/seal", get(documents::show::seal))
        .route(
            "/documents/{id}/edit",
            get(documents::change::edit_form).post(documents::change::edit),
        )
        .route(
            "/documents/{id}/delete",
            get(documents::change::delete_confirm).post(documents::change::delete),
        )
        .route(
            "/authorize",
            get(consent_screen::show).post(consent_screen::decide),
        )
        .route("/consents", get(consents::list::page))
        .route(
            "/consents/{id}",
            get(consents::decide::page).post(consents::decide::decide),
        )
        .route(
            "/consents/{id}/withdraw",
            get(consents::decide::withdraw_confirm).post(consents::decide::withdraw),
        )
        .route("/consents/{id}/receipt", get(consents::receipt::page))
        .route(
            "/consents/{id}/receipt.jws",
            get(consents::receipt::download),
        )
        .route(
            "/verify",
            get(verify_page::show)
                .post(verify_page::submit)
                .layer(DefaultBodyLimit::max(
                    verify_page::MAX_IMAGE_BYTES + 64 * 1024,
                )),
        )
        .route(
            "/verify/result",
            post(verify_page::by_result_code).layer(DefaultBodyLimit::max(upload_limit)),
        )
        .route("/access-log", get(access_log::page))
        .route(
            "/counter",
            get(counter::page)
                .post(counter::look_up)
                .layer(DefaultBodyLimit::max(upload_limit)),
        )
        .route("/counter/checked", post(counter::mark_checked))
        .route("/acting", get(acting::page).post(acting::switch))
        .route("/notices", get(notices::page))
        .route("/notices/read", post(notices::mark_read))
        .route("/settings", get(settings::page))
        .route("/settings/language", post(settings::language))
        .route("/settings/email", post(settings::email))
        .route("/settings/email/remove", post(settings::remove_email))
        .route(
            "/settings/email/confirm",
            get(settings::confirm_page).post(settings::confirm),
        )
        .route("/my-data", get(my_data::page))
        .route("/my-data/export", get(my_data::export))
        .route(
            "/my-data/erase",
            get(my_data::erase_confirm).post(my_data::erase),
        )
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            failure::render_failures,
        ))
}
