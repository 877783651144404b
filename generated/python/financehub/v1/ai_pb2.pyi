import datetime

from financehub.options.v1 import options_pb2 as _options_pb2
from financehub.v1 import securities_pb2 as _securities_pb2
from google.api import annotations_pb2 as _annotations_pb2
from google.api import field_behavior_pb2 as _field_behavior_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.type import date_pb2 as _date_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class SentimentBand(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    SENTIMENT_BAND_UNSPECIFIED: _ClassVar[SentimentBand]
    SENTIMENT_BAND_BEARISH: _ClassVar[SentimentBand]
    SENTIMENT_BAND_SOMEWHAT_BEARISH: _ClassVar[SentimentBand]
    SENTIMENT_BAND_NEUTRAL: _ClassVar[SentimentBand]
    SENTIMENT_BAND_SOMEWHAT_BULLISH: _ClassVar[SentimentBand]
    SENTIMENT_BAND_BULLISH: _ClassVar[SentimentBand]
SENTIMENT_BAND_UNSPECIFIED: SentimentBand
SENTIMENT_BAND_BEARISH: SentimentBand
SENTIMENT_BAND_SOMEWHAT_BEARISH: SentimentBand
SENTIMENT_BAND_NEUTRAL: SentimentBand
SENTIMENT_BAND_SOMEWHAT_BULLISH: SentimentBand
SENTIMENT_BAND_BULLISH: SentimentBand

class EngineInfo(_message.Message):
    __slots__ = ("name", "version")
    NAME_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    name: str
    version: str
    def __init__(self, name: _Optional[str] = ..., version: _Optional[str] = ...) -> None: ...

class SentimentScore(_message.Message):
    __slots__ = ("label", "scores", "score")
    class ScoresEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: float
        def __init__(self, key: _Optional[str] = ..., value: _Optional[float] = ...) -> None: ...
    LABEL_FIELD_NUMBER: _ClassVar[int]
    SCORES_FIELD_NUMBER: _ClassVar[int]
    SCORE_FIELD_NUMBER: _ClassVar[int]
    label: str
    scores: _containers.ScalarMap[str, float]
    score: float
    def __init__(self, label: _Optional[str] = ..., scores: _Optional[_Mapping[str, float]] = ..., score: _Optional[float] = ...) -> None: ...

class AnalyzeSentimentRequest(_message.Message):
    __slots__ = ("texts",)
    TEXTS_FIELD_NUMBER: _ClassVar[int]
    texts: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, texts: _Optional[_Iterable[str]] = ...) -> None: ...

class AnalyzeSentimentResponse(_message.Message):
    __slots__ = ("results", "engine")
    RESULTS_FIELD_NUMBER: _ClassVar[int]
    ENGINE_FIELD_NUMBER: _ClassVar[int]
    results: _containers.RepeatedCompositeFieldContainer[SentimentScore]
    engine: EngineInfo
    def __init__(self, results: _Optional[_Iterable[_Union[SentimentScore, _Mapping]]] = ..., engine: _Optional[_Union[EngineInfo, _Mapping]] = ...) -> None: ...

class GetMarketSentimentRequest(_message.Message):
    __slots__ = ("symbol", "sector", "days")
    SYMBOL_FIELD_NUMBER: _ClassVar[int]
    SECTOR_FIELD_NUMBER: _ClassVar[int]
    DAYS_FIELD_NUMBER: _ClassVar[int]
    symbol: str
    sector: str
    days: int
    def __init__(self, symbol: _Optional[str] = ..., sector: _Optional[str] = ..., days: _Optional[int] = ...) -> None: ...

class SentimentBreakdown(_message.Message):
    __slots__ = ("positive", "negative", "neutral")
    POSITIVE_FIELD_NUMBER: _ClassVar[int]
    NEGATIVE_FIELD_NUMBER: _ClassVar[int]
    NEUTRAL_FIELD_NUMBER: _ClassVar[int]
    positive: int
    negative: int
    neutral: int
    def __init__(self, positive: _Optional[int] = ..., negative: _Optional[int] = ..., neutral: _Optional[int] = ...) -> None: ...

class GetMarketSentimentResponse(_message.Message):
    __slots__ = ("scope", "start_date", "end_date", "sample_size", "score", "band", "confidence", "breakdown", "engine", "data_origin")
    SCOPE_FIELD_NUMBER: _ClassVar[int]
    START_DATE_FIELD_NUMBER: _ClassVar[int]
    END_DATE_FIELD_NUMBER: _ClassVar[int]
    SAMPLE_SIZE_FIELD_NUMBER: _ClassVar[int]
    SCORE_FIELD_NUMBER: _ClassVar[int]
    BAND_FIELD_NUMBER: _ClassVar[int]
    CONFIDENCE_FIELD_NUMBER: _ClassVar[int]
    BREAKDOWN_FIELD_NUMBER: _ClassVar[int]
    ENGINE_FIELD_NUMBER: _ClassVar[int]
    DATA_ORIGIN_FIELD_NUMBER: _ClassVar[int]
    scope: str
    start_date: _date_pb2.Date
    end_date: _date_pb2.Date
    sample_size: int
    score: float
    band: SentimentBand
    confidence: float
    breakdown: SentimentBreakdown
    engine: EngineInfo
    data_origin: _securities_pb2.DataOrigin
    def __init__(self, scope: _Optional[str] = ..., start_date: _Optional[_Union[_date_pb2.Date, _Mapping]] = ..., end_date: _Optional[_Union[_date_pb2.Date, _Mapping]] = ..., sample_size: _Optional[int] = ..., score: _Optional[float] = ..., band: _Optional[_Union[SentimentBand, str]] = ..., confidence: _Optional[float] = ..., breakdown: _Optional[_Union[SentimentBreakdown, _Mapping]] = ..., engine: _Optional[_Union[EngineInfo, _Mapping]] = ..., data_origin: _Optional[_Union[_securities_pb2.DataOrigin, str]] = ...) -> None: ...

class ChatRequest(_message.Message):
    __slots__ = ("conversation_id", "message")
    CONVERSATION_ID_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    conversation_id: str
    message: str
    def __init__(self, conversation_id: _Optional[str] = ..., message: _Optional[str] = ...) -> None: ...

class ChatStarted(_message.Message):
    __slots__ = ("conversation_id", "engine")
    CONVERSATION_ID_FIELD_NUMBER: _ClassVar[int]
    ENGINE_FIELD_NUMBER: _ClassVar[int]
    conversation_id: str
    engine: EngineInfo
    def __init__(self, conversation_id: _Optional[str] = ..., engine: _Optional[_Union[EngineInfo, _Mapping]] = ...) -> None: ...

class ToolCall(_message.Message):
    __slots__ = ("name", "arguments_json", "succeeded", "error")
    NAME_FIELD_NUMBER: _ClassVar[int]
    ARGUMENTS_JSON_FIELD_NUMBER: _ClassVar[int]
    SUCCEEDED_FIELD_NUMBER: _ClassVar[int]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    name: str
    arguments_json: str
    succeeded: bool
    error: str
    def __init__(self, name: _Optional[str] = ..., arguments_json: _Optional[str] = ..., succeeded: _Optional[bool] = ..., error: _Optional[str] = ...) -> None: ...

class TokenUsage(_message.Message):
    __slots__ = ("prompt_tokens", "completion_tokens", "total_tokens")
    PROMPT_TOKENS_FIELD_NUMBER: _ClassVar[int]
    COMPLETION_TOKENS_FIELD_NUMBER: _ClassVar[int]
    TOTAL_TOKENS_FIELD_NUMBER: _ClassVar[int]
    prompt_tokens: int
    completion_tokens: int
    total_tokens: int
    def __init__(self, prompt_tokens: _Optional[int] = ..., completion_tokens: _Optional[int] = ..., total_tokens: _Optional[int] = ...) -> None: ...

class ChatCompleted(_message.Message):
    __slots__ = ("finish_reason", "usage", "quota_remaining")
    FINISH_REASON_FIELD_NUMBER: _ClassVar[int]
    USAGE_FIELD_NUMBER: _ClassVar[int]
    QUOTA_REMAINING_FIELD_NUMBER: _ClassVar[int]
    finish_reason: str
    usage: TokenUsage
    quota_remaining: int
    def __init__(self, finish_reason: _Optional[str] = ..., usage: _Optional[_Union[TokenUsage, _Mapping]] = ..., quota_remaining: _Optional[int] = ...) -> None: ...

class ChatResponse(_message.Message):
    __slots__ = ("started", "text_delta", "tool_call", "completed")
    STARTED_FIELD_NUMBER: _ClassVar[int]
    TEXT_DELTA_FIELD_NUMBER: _ClassVar[int]
    TOOL_CALL_FIELD_NUMBER: _ClassVar[int]
    COMPLETED_FIELD_NUMBER: _ClassVar[int]
    started: ChatStarted
    text_delta: str
    tool_call: ToolCall
    completed: ChatCompleted
    def __init__(self, started: _Optional[_Union[ChatStarted, _Mapping]] = ..., text_delta: _Optional[str] = ..., tool_call: _Optional[_Union[ToolCall, _Mapping]] = ..., completed: _Optional[_Union[ChatCompleted, _Mapping]] = ...) -> None: ...

class Conversation(_message.Message):
    __slots__ = ("conversation_id", "title", "create_time", "update_time", "message_count")
    CONVERSATION_ID_FIELD_NUMBER: _ClassVar[int]
    TITLE_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    UPDATE_TIME_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_COUNT_FIELD_NUMBER: _ClassVar[int]
    conversation_id: str
    title: str
    create_time: _timestamp_pb2.Timestamp
    update_time: _timestamp_pb2.Timestamp
    message_count: int
    def __init__(self, conversation_id: _Optional[str] = ..., title: _Optional[str] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., update_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., message_count: _Optional[int] = ...) -> None: ...

class ConversationMessage(_message.Message):
    __slots__ = ("role", "content", "tool_name", "create_time")
    ROLE_FIELD_NUMBER: _ClassVar[int]
    CONTENT_FIELD_NUMBER: _ClassVar[int]
    TOOL_NAME_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    role: str
    content: str
    tool_name: str
    create_time: _timestamp_pb2.Timestamp
    def __init__(self, role: _Optional[str] = ..., content: _Optional[str] = ..., tool_name: _Optional[str] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class ListConversationsRequest(_message.Message):
    __slots__ = ("page_size", "page_token")
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    page_size: int
    page_token: str
    def __init__(self, page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListConversationsResponse(_message.Message):
    __slots__ = ("conversations", "next_page_token")
    CONVERSATIONS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    conversations: _containers.RepeatedCompositeFieldContainer[Conversation]
    next_page_token: str
    def __init__(self, conversations: _Optional[_Iterable[_Union[Conversation, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class GetConversationRequest(_message.Message):
    __slots__ = ("conversation_id",)
    CONVERSATION_ID_FIELD_NUMBER: _ClassVar[int]
    conversation_id: str
    def __init__(self, conversation_id: _Optional[str] = ...) -> None: ...

class GetConversationResponse(_message.Message):
    __slots__ = ("conversation", "messages")
    CONVERSATION_FIELD_NUMBER: _ClassVar[int]
    MESSAGES_FIELD_NUMBER: _ClassVar[int]
    conversation: Conversation
    messages: _containers.RepeatedCompositeFieldContainer[ConversationMessage]
    def __init__(self, conversation: _Optional[_Union[Conversation, _Mapping]] = ..., messages: _Optional[_Iterable[_Union[ConversationMessage, _Mapping]]] = ...) -> None: ...

class DeleteConversationRequest(_message.Message):
    __slots__ = ("conversation_id",)
    CONVERSATION_ID_FIELD_NUMBER: _ClassVar[int]
    conversation_id: str
    def __init__(self, conversation_id: _Optional[str] = ...) -> None: ...

class DeleteConversationResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class Citation(_message.Message):
    __slots__ = ("source", "description", "data_origin")
    SOURCE_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    DATA_ORIGIN_FIELD_NUMBER: _ClassVar[int]
    source: str
    description: str
    data_origin: _securities_pb2.DataOrigin
    def __init__(self, source: _Optional[str] = ..., description: _Optional[str] = ..., data_origin: _Optional[_Union[_securities_pb2.DataOrigin, str]] = ...) -> None: ...

class ReportSection(_message.Message):
    __slots__ = ("title", "markdown")
    TITLE_FIELD_NUMBER: _ClassVar[int]
    MARKDOWN_FIELD_NUMBER: _ClassVar[int]
    title: str
    markdown: str
    def __init__(self, title: _Optional[str] = ..., markdown: _Optional[str] = ...) -> None: ...

class GenerateStockReportRequest(_message.Message):
    __slots__ = ("symbol",)
    SYMBOL_FIELD_NUMBER: _ClassVar[int]
    symbol: str
    def __init__(self, symbol: _Optional[str] = ...) -> None: ...

class GenerateStockReportResponse(_message.Message):
    __slots__ = ("symbol", "markdown", "sections", "citations", "disclaimer", "engine", "generate_time", "as_of", "usage")
    SYMBOL_FIELD_NUMBER: _ClassVar[int]
    MARKDOWN_FIELD_NUMBER: _ClassVar[int]
    SECTIONS_FIELD_NUMBER: _ClassVar[int]
    CITATIONS_FIELD_NUMBER: _ClassVar[int]
    DISCLAIMER_FIELD_NUMBER: _ClassVar[int]
    ENGINE_FIELD_NUMBER: _ClassVar[int]
    GENERATE_TIME_FIELD_NUMBER: _ClassVar[int]
    AS_OF_FIELD_NUMBER: _ClassVar[int]
    USAGE_FIELD_NUMBER: _ClassVar[int]
    symbol: str
    markdown: str
    sections: _containers.RepeatedCompositeFieldContainer[ReportSection]
    citations: _containers.RepeatedCompositeFieldContainer[Citation]
    disclaimer: str
    engine: EngineInfo
    generate_time: _timestamp_pb2.Timestamp
    as_of: _date_pb2.Date
    usage: TokenUsage
    def __init__(self, symbol: _Optional[str] = ..., markdown: _Optional[str] = ..., sections: _Optional[_Iterable[_Union[ReportSection, _Mapping]]] = ..., citations: _Optional[_Iterable[_Union[Citation, _Mapping]]] = ..., disclaimer: _Optional[str] = ..., engine: _Optional[_Union[EngineInfo, _Mapping]] = ..., generate_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., as_of: _Optional[_Union[_date_pb2.Date, _Mapping]] = ..., usage: _Optional[_Union[TokenUsage, _Mapping]] = ...) -> None: ...

class GetDailyBriefingRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class GetDailyBriefingResponse(_message.Message):
    __slots__ = ("markdown", "citations", "disclaimer", "engine", "generate_time", "as_of", "usage")
    MARKDOWN_FIELD_NUMBER: _ClassVar[int]
    CITATIONS_FIELD_NUMBER: _ClassVar[int]
    DISCLAIMER_FIELD_NUMBER: _ClassVar[int]
    ENGINE_FIELD_NUMBER: _ClassVar[int]
    GENERATE_TIME_FIELD_NUMBER: _ClassVar[int]
    AS_OF_FIELD_NUMBER: _ClassVar[int]
    USAGE_FIELD_NUMBER: _ClassVar[int]
    markdown: str
    citations: _containers.RepeatedCompositeFieldContainer[Citation]
    disclaimer: str
    engine: EngineInfo
    generate_time: _timestamp_pb2.Timestamp
    as_of: _date_pb2.Date
    usage: TokenUsage
    def __init__(self, markdown: _Optional[str] = ..., citations: _Optional[_Iterable[_Union[Citation, _Mapping]]] = ..., disclaimer: _Optional[str] = ..., engine: _Optional[_Union[EngineInfo, _Mapping]] = ..., generate_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., as_of: _Optional[_Union[_date_pb2.Date, _Mapping]] = ..., usage: _Optional[_Union[TokenUsage, _Mapping]] = ...) -> None: ...

class GetUsageRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class GetUsageResponse(_message.Message):
    __slots__ = ("day", "tokens_used", "daily_limit", "reset_time")
    DAY_FIELD_NUMBER: _ClassVar[int]
    TOKENS_USED_FIELD_NUMBER: _ClassVar[int]
    DAILY_LIMIT_FIELD_NUMBER: _ClassVar[int]
    RESET_TIME_FIELD_NUMBER: _ClassVar[int]
    day: _date_pb2.Date
    tokens_used: int
    daily_limit: int
    reset_time: _timestamp_pb2.Timestamp
    def __init__(self, day: _Optional[_Union[_date_pb2.Date, _Mapping]] = ..., tokens_used: _Optional[int] = ..., daily_limit: _Optional[int] = ..., reset_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...
