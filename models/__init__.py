"""All models, imported here so that ``db.metadata`` is complete for Alembic and the app."""

from models.application import (
    Application,
    ApplicationRecord,
    ApplicationReview,
    ApplicationRevision,
    Material,
    RouteRule,
)
from models.arrangement import ExamRoom, ExamSession, SeatAssignment
from models.audit import AuditLog
from models.bulk_pin import BulkPin
from models.certificate import CertificateLink, CertificateLookup
from models.dictionary import Ethnicity, ExamBatch, Trade
from models.exam import Registration
from models.job import Job
from models.notification import Notification
from models.org import Jurisdiction, Organisation, User
from models.post import PostSetting
from models.reminder import OutboxAttempt, OutboxMessage, ReminderDay, ReminderSent, ReminderTemplate
from models.results import CalendarDay, NoticeEntry, Objection, ResultNotice, ScoreRecheck
from models.session import LoginFailure, LoginLock, UserSession
from models.statistics import ApplicationTally, ApplicationTradeTally, PublicationTally, RegistrationTally
from models.worker import AnnualAssessment, Worker, WorkerEducation, WorkHistory

__all__ = [
    "Application",
    "ApplicationRecord",
    "ApplicationReview",
    "ApplicationRevision",
    "ApplicationTally",
    "ApplicationTradeTally",
    "Material",
    "RouteRule",
    "AnnualAssessment",
    "AuditLog",
    "BulkPin",
    "CalendarDay",
    "CertificateLink",
    "CertificateLookup",
    "ExamRoom",
    "ExamSession",
    "NoticeEntry",
    "Objection",
    "ResultNotice",
    "ScoreRecheck",
    "SeatAssignment",
    "Ethnicity",
    "ExamBatch",
    "Job",
    "Jurisdiction",
    "LoginFailure",
    "LoginLock",
    "Notification",
    "Organisation",
    "OutboxAttempt",
    "OutboxMessage",
    "PostSetting",
    "PublicationTally",
    "Registration",
    "RegistrationTally",
    "ReminderDay",
    "ReminderSent",
    "ReminderTemplate",
    "Trade",
    "User",
    "UserSession",
    "Worker",
    "WorkerEducation",
    "WorkHistory",
]
