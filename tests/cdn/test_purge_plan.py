"""Which tags each kind of content change purges."""

from glossary_project.cdn.purge import plan_for

from .changes import category_change, content_change, term_change

LISTS = {"terms-list", "letters", "categories-list", "search"}


def test_publishing_a_term_purges_it_its_category_and_the_lists():
    plan = plan_for(content_change(published=[term_change(3, category_id=7)]))
    assert set(plan.tags) == {"term-3", "category-7", *LISTS}
    assert not plan.everything


def test_an_update_and_an_unpublish_purge_the_same_way():
    for kind in ("updated", "unpublished"):
        plan = plan_for(content_change(**{kind: [term_change(4, category_id=None)]}))
        assert set(plan.tags) == {"term-4", *LISTS}, kind


def test_a_renamed_term_is_purged_by_its_id_not_its_slugs():
    plan = plan_for(content_change(updated=[term_change(5, previous_slug="old-name")]))
    assert "term-5" in plan.tags
    assert not any("old-name" in tag for tag in plan.tags)


def test_a_category_change_purges_the_category_and_the_lists():
    plan = plan_for(content_change(categories=[category_change(9)]))
    assert set(plan.tags) == {"category-9", *LISTS}


def test_several_terms_in_one_change_are_purged_together():
    plan = plan_for(
        content_change(
            published=[term_change(1, category_id=2)],
            unpublished=[term_change(3, category_id=4)],
        )
    )
    assert {"term-1", "term-3", "category-2", "category-4"} <= set(plan.tags)


def test_a_change_of_the_site_settings_purges_everything():
    plan = plan_for(content_change(settings_changed=True))
    assert plan.everything


def test_an_import_of_many_terms_purges_everything(settings):
    settings.CDN_PURGE_EVERYTHING_ABOVE = 10
    imported = {"created": [f"t{n}" for n in range(8)], "updated": ["a", "b", "c"]}
    assert plan_for(
        content_change(imported={**imported, "unpublished": [], "unchanged": 0})
    ).everything
    many = [term_change(n) for n in range(11)]
    assert plan_for(content_change(updated=many)).everything


def test_a_small_import_purges_its_terms_only(settings):
    settings.CDN_PURGE_EVERYTHING_ABOVE = 10
    change = content_change(
        published=[term_change(1)],
        imported={"created": ["term-1"], "updated": [], "unpublished": [], "unchanged": 500},
    )
    plan = plan_for(change)
    assert not plan.everything
    assert "term-1" in plan.tags
