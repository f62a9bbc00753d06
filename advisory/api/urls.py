from rest_framework.routers import SimpleRouter

from . import views

app_name = "advisory-api"

router = SimpleRouter()
router.register("inquiries", views.InquiryViewSet, basename="inquiry")

urlpatterns = router.urls
