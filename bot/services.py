"""The services every command needs — the store, the vocabulary, the matcher, the catalogue —
built from the configuration.

Apart from :mod:`bot.app` (the running bot: adapters, pipeline, scheduler and its jobs) so that
`entraide match` and the data commands import only what they use: the bot's other modules take
seconds to import.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from bot.chat.context import Services
from bot.config import Config, ConfigError
from bot.i18n import Catalog
from bot.matching import snapshot, vocabulary_cache
from bot.matching.engine import Matcher
from bot.matching.vocabulary import with_stored
from skills_db.storage.store import Store
from skills_db.vocabulary.taxonomy import Taxonomy, TaxonomyFileError


def build_services(config: Config, store: Store, clock: Callable[[], datetime] | None = None) -> Services:
    stored = store.stored_vocabulary()
    # Built once and kept beside the index snapshot: seconds with tens of thousands of skills.
    cache = vocabulary_cache.cache_path(
        snapshot.snapshot_path(config.database.url, config.matching.index_cache)
    )
    key = vocabulary_cache.vocabulary_key(config.matching.vocabulary_files, stored) if cache else ""
    found = vocabulary_cache.load(cache, key)
    if found is None:
        base = configured_vocabulary(config)
        taxonomy = with_stored(base, stored)
    else:
        base, taxonomy = found
    return Services(
        config=config,
        store=store,
        catalog=Catalog.load(config.bot.language),
        taxonomy=taxonomy,
        matcher=Matcher(store, taxonomy, config.routing, config.matching, base=base),
        clock=clock or (lambda: datetime.now(UTC)),
    )


def configured_vocabulary(config: Config) -> Taxonomy:
    """The default vocabulary, extended by the admins' files."""
    taxonomy = Taxonomy.load_default()
    if not config.matching.domain_vocabulary:
        taxonomy = Taxonomy.from_skills(s for s in taxonomy if s.category != "domain")
    for index, path in enumerate(config.matching.vocabulary_files):
        try:
            taxonomy = taxonomy.extended(Taxonomy.from_file(path))
        except (OSError, TaxonomyFileError) as error:
            raise ConfigError(config.source, f"matching.vocabulary_files[{index}]", str(error)) from None
    return taxonomy


def vocabulary(config: Config, store: Store) -> Taxonomy:
    """The configured vocabulary, with the skills and aliases stored (learned from history, or
    curated by managers: see bot.matching.vocabulary)."""
    return with_stored(configured_vocabulary(config), store.stored_vocabulary())
