"""Admin for jobs, their outcomes (with a summary per model and engine version) and the dead-letter queue (with replay)."""

from __future__ import annotations

from django.contrib import admin, messages

from apps.storage import api
from apps.storage.models import DeadLetter, Outcome, PlaylistJob


class OutcomeInline(admin.StackedInline):
    """How the person felt after this playlist, on the job's page (read-only: they report it themselves)."""

    model = Outcome
    can_delete = False
    extra = 0
    readonly_fields = [field.name for field in Outcome._meta.fields if field.name != "job"]

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(PlaylistJob)
class PlaylistJobAdmin(admin.ModelAdmin):
    list_display = ("id", "user", "status", "attempt", "target_emotion", "top_emotion", "seq", "created_at", "completed_at")
    list_filter = ("status", "target_emotion", "created_at")
    search_fields = ("id", "user__username", "text", "request_id")
    date_hierarchy = "created_at"
    readonly_fields = [field.name for field in PlaylistJob._meta.fields]
    list_select_related = ("user",)
    inlines = (OutcomeInline,)

    def has_add_permission(self, request) -> bool:
        return False


@admin.register(Outcome)
class OutcomeAdmin(admin.ModelAdmin):
    """What people reported after their playlists; the list starts with a summary per model and engine
    version (and per target emotion), so a change of either can be judged by its outcomes."""

    list_display = (
        "job", "user", "target_emotion", "after_emotion", "toward_target", "distance_moved", "progress", "model_version",
        "engine_version", "updated_at",
    )
    list_filter = ("toward_target", "job__target_emotion", "job__engine_version", "job__model_version", "updated_at")
    search_fields = ("job__id", "job__user__username")
    date_hierarchy = "updated_at"
    readonly_fields = [field.name for field in Outcome._meta.fields]
    list_select_related = ("job", "job__user")

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False  # people report their own outcomes; the admin reads them

    @admin.display(ordering="job__user__username")
    def user(self, outcome: Outcome):
        return outcome.job.user

    @admin.display(ordering="job__target_emotion")
    def target_emotion(self, outcome: Outcome) -> str:
        return outcome.job.target_emotion

    @admin.display(ordering="job__model_version")
    def model_version(self, outcome: Outcome) -> str:
        return outcome.job.model_version

    @admin.display(ordering="job__engine_version")
    def engine_version(self, outcome: Outcome) -> str:
        return outcome.job.engine_version

    def changelist_view(self, request, extra_context=None):
        summaries = {"by_version": api.outcome_summary(by="version"), "by_target": api.outcome_summary(by="target")}
        return super().changelist_view(request, {**(extra_context or {}), "outcome_summaries": summaries})


@admin.register(DeadLetter)
class DeadLetterAdmin(admin.ModelAdmin):
    list_display = ("id", "task_name", "status", "exception_type", "job_id", "retries", "created_at", "replayed_at")
    list_filter = ("status", "task_name", "exception_type", "created_at")
    search_fields = ("task_id", "job_id", "task_name", "exception_message", "request_id")
    date_hierarchy = "created_at"
    readonly_fields = [field.name for field in DeadLetter._meta.fields if field.name != "status"]
    actions = ("replay", "mark_resolved")

    def has_add_permission(self, request) -> bool:
        return False

    @admin.action(description="Replay: run the letter's failed job again, as a new attempt")
    def replay(self, request, queryset) -> None:
        # Each letter is reported on its own; one that cannot be replayed never stops the rest (or answers 500).
        results = api.replay_dead_letters(ids=list(queryset.values_list("pk", flat=True)))
        replayed = [f"#{result['id']} (attempt {result['attempt']})" for result in results if result["replayed"]]
        skipped = [f"#{result['id']}: {result['reason']}" for result in results if not result["replayed"]]
        self.message_user(request, f"Replayed {len(replayed)} dead letter(s). " + ", ".join(replayed), messages.SUCCESS)
        if skipped:
            self.message_user(request, "Not replayed: " + "; ".join(skipped), messages.WARNING)

    @admin.action(description="Mark resolved (nothing to replay)")
    def mark_resolved(self, request, queryset) -> None:
        count = api.resolve_dead_letters(list(queryset.values_list("pk", flat=True)))
        self.message_user(request, f"Marked {count} dead letter(s) resolved.", messages.SUCCESS)
