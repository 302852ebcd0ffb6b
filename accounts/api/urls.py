from django.urls import path

from . import views

urlpatterns = [
    path("register/", views.RegisterView.as_view(), name="api-register"),
    path("login/", views.LoginView.as_view(), name="api-login"),
    path("logout/", views.LogoutView.as_view(), name="api-logout"),
    path("csrf/", views.CsrfView.as_view(), name="api-csrf"),
    path("account/", views.AccountView.as_view(), name="api-account"),
    path(
        "account/priority-services/", views.AccountPriorityServicesView.as_view(), name="api-account-priority-services"
    ),
    path("admin/users/", views.AdminUserListView.as_view(), name="api-admin-users"),
    path("admin/users/create/", views.AdminUserCreateView.as_view(), name="api-admin-user-create"),
    path("admin/users/<int:user_id>/", views.AdminUserDetailView.as_view(), name="api-admin-user-detail"),
    path(
        "admin/users/<int:user_id>/priority-services/",
        views.StaffPriorityServicesView.as_view(),
        name="api-admin-user-priority-services",
    ),
]
