from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.views.generic import RedirectView
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

admin.site.site_header = "LandTrack 批而未用土地清理"
admin.site.site_title = "LandTrack"
admin.site.index_title = "台账管理"

# A URL under /api/ that matches no route, or a request refused before any view, answers JSON like every
# other API error.
handler404 = "landtrack.api.errors.not_found"
handler400 = "landtrack.api.errors.bad_request"

api_v1 = [
    path("", include("leadership.api.urls")),
    path("", include("parcels.api.urls")),
    path("", include("tasks.api.urls")),
]

urlpatterns = [
    path("", RedirectView.as_view(url="/dashboard/", permanent=False)),
    path("admin/", admin.site.urls),
    path("accounts/login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("dashboard/", include("tasks.urls")),
    path("api/v1/", include(api_v1)),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    # The split view serves its script as a file (?script), so the page has no inline script (CSP).
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="schema"), name="api-docs"),
]
