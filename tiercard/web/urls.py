"""URL map of the web interface (namespace ``web``)."""

from django.urls import path
from django.views.generic import RedirectView

from tiercard.web.views import (
    account,
    card,
    card_actions,
    card_templates,
    contacts,
    customers,
    dashboard,
    data_exports,
    dedupe,
    imports,
    loyalty_admin,
    loyalty_card,
    loyalty_rewards,
    member_table,
    printing,
    privacy,
    search,
)

app_name = "web"
urlpatterns = [
    path("", RedirectView.as_view(pattern_name="web:customer_list"), name="home"),
    path("login/", account.LoginView.as_view(), name="login"),
    path("dashboard/", dashboard.dashboard_view, name="dashboard"),
    path("dashboard/<slug:figure>.csv", dashboard.dashboard_csv_view, name="dashboard_csv"),
    path("dashboard/refresh", dashboard.dashboard_refresh_view, name="dashboard_refresh"),
    path("logout/", account.LogoutView.as_view(), name="logout"),
    path("language/", account.set_language, name="set_language"),
    path("search/", search.search_view, name="search"),
    path("customers/", customers.customer_list_view, name="customer_list"),
    path("customers/new/", customers.customer_create_view, name="customer_create"),
    path("customers/bulk/", member_table.bulk_view, name="table_bulk"),
    path("customers/export/", member_table.export_view, name="table_export"),
    path("customers/print.pdf", printing.table_pdf_view, name="table_pdf"),
    path("customers/views/", member_table.views_manage_view, name="table_views"),
    path("customers/views/save/", member_table.view_save_view, name="table_view_save"),
    path(
        "customers/views/<int:pk>/delete/",
        member_table.view_delete_view,
        name="table_view_delete",
    ),
    path("customers/<int:pk>/", card.customer_detail_view, name="customer_detail"),
    path("customers/<int:pk>/card.pdf", printing.card_pdf_view, name="customer_card_pdf"),
    path("customers/<int:pk>/edit/", customers.customer_edit_view, name="customer_edit"),
    path("customers/<int:pk>/archive/", customers.customer_archive_view, name="customer_archive"),
    path("customers/<int:pk>/restore/", customers.customer_restore_view, name="customer_restore"),
    path("customers/<int:pk>/reveal/", card.customer_reveal_view, name="customer_reveal"),
    path("customers/<int:pk>/timeline/", card.customer_timeline_view, name="customer_timeline"),
    path("customers/<int:pk>/part/<slug:part>/", card.customer_part_view, name="customer_part"),
    path("customers/<int:pk>/notes/new/", card_actions.note_new_view, name="note_new"),
    path(
        "customers/<int:pk>/notes/<int:note_id>/edit/",
        card_actions.note_edit_view,
        name="note_edit",
    ),
    path("customers/<int:pk>/owner/", card_actions.owner_view, name="customer_owner"),
    path("customers/<int:pk>/tags/add/", card_actions.tag_add_view, name="customer_tag_add"),
    path(
        "customers/<int:pk>/tags/remove/", card_actions.tag_remove_view, name="customer_tag_remove"
    ),
    path("card-templates/", card_templates.templates_view, name="card_templates"),
    path(
        "card-templates/<slug:tier_code>/",
        card_templates.template_edit_view,
        name="card_template_edit",
    ),
    path("customers/<int:pk>/purchases/new/", card.purchase_new_view, name="purchase_new"),
    path("customers/<int:pk>/purchases/line/", card.purchase_line_view, name="purchase_line"),
    path(
        "customers/<int:pk>/interactions/new/",
        card.interaction_new_view,
        name="interaction_new",
    ),
    path("customers/<int:pk>/contacts/new/", contacts.contact_new_view, name="contact_new"),
    path(
        "customers/<int:pk>/contacts/<int:contact_id>/edit/",
        contacts.contact_edit_view,
        name="contact_edit",
    ),
    path(
        "customers/<int:pk>/contacts/<int:contact_id>/remove/",
        contacts.contact_remove_view,
        name="contact_remove",
    ),
    path(
        "customers/<int:pk>/contacts/<int:contact_id>/reveal/",
        contacts.contact_reveal_view,
        name="contact_reveal",
    ),
    path("customers/<int:pk>/loyalty/", loyalty_card.loyalty_panels_view, name="loyalty_panels"),
    path("customers/<int:pk>/loyalty/redeem/", loyalty_card.redeem_view, name="loyalty_redeem"),
    path("customers/<int:pk>/loyalty/return/", loyalty_card.return_view, name="loyalty_return"),
    path("customers/<int:pk>/loyalty/adjust/", loyalty_card.adjust_view, name="loyalty_adjust"),
    path(
        "customers/<int:pk>/loyalty/override/", loyalty_card.override_view, name="loyalty_override"
    ),
    path(
        "customers/<int:pk>/loyalty/benefits/use/",
        loyalty_card.benefit_use_view,
        name="loyalty_benefit_use",
    ),
    path("programme/", loyalty_admin.versions_view, name="loyalty_versions"),
    path("programme/new/", loyalty_admin.draft_view, name="loyalty_draft"),
    path("programme/v<int:version>/", loyalty_admin.version_view, name="loyalty_version"),
    path("programme/v<int:version>/dry-run/", loyalty_admin.dry_run_view, name="loyalty_dry_run"),
    path("programme/v<int:version>/apply/", loyalty_admin.apply_view, name="loyalty_apply"),
    path("programme/rewards/", loyalty_rewards.rewards_view, name="loyalty_rewards"),
    path("programme/rewards/new/", loyalty_rewards.reward_new_view, name="loyalty_reward_new"),
    path(
        "programme/rewards/<int:pk>/edit/",
        loyalty_rewards.reward_edit_view,
        name="loyalty_reward_edit",
    ),
    path("programme/points/", loyalty_rewards.points_view, name="loyalty_points"),
    path("exports/", data_exports.data_exports_view, name="data_exports"),
    path("duplicates/", dedupe.queue_view, name="dedupe_queue"),
    path("duplicates/scan/", dedupe.scan_view, name="dedupe_scan"),
    path("duplicates/merges/", dedupe.merges_view, name="dedupe_merges"),
    path("duplicates/<int:pk>/", dedupe.pair_view, name="dedupe_pair"),
    path("duplicates/<int:pk>/dismiss/", dedupe.dismiss_view, name="dedupe_dismiss"),
    path(
        "duplicates/merges/<int:merge_id>/", dedupe.merge_done_view, name="dedupe_merge_done"
    ),
    path(
        "duplicates/merges/<int:merge_id>/undo/", dedupe.unmerge_view, name="dedupe_unmerge"
    ),
    path("imports/", imports.import_list_view, name="import_list"),
    path("imports/new/", imports.import_new_view, name="import_new"),
    path("imports/<int:pk>/", imports.import_detail_view, name="import_detail"),
    path("imports/<int:pk>/mapping/", imports.import_mapping_view, name="import_mapping"),
    path("imports/<int:pk>/commit/", imports.import_commit_view, name="import_commit"),
    path("imports/<int:pk>/undo/", imports.import_undo_view, name="import_undo"),
    path("imports/<int:pk>/errors.xlsx", imports.import_errors_view, name="import_errors"),
    path(
        "customers/<int:pk>/personal-data/",
        privacy.personal_data_view,
        name="customer_personal_data",
    ),
    path("customers/<int:pk>/erase/", privacy.erase_view, name="customer_erase"),
]
