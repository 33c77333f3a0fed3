import gc
import os

from django.core.wsgi import get_wsgi_application
from django.urls import get_resolver

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "selflearn_site.settings")
application = get_wsgi_application()
# What is loaded by now (Django, the apps, every view through the URLconf) lives as long as the process:
# frozen out of the garbage collector's way, a full collection no longer walks it in the middle of a
# request. Without it one request in twenty took 100 to 450 ms more (bench/review_pages.py at 100,000
# dialogues: the datasets list 5 ms at p50, 142 ms at p95; with it, 7 ms at p95).
get_resolver().url_patterns  # noqa: B018 (imports the views now rather than on the first request)
gc.freeze()
