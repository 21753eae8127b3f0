/* bk-root-health.c
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/**
 * BkRootHealth:
 *
 * The `core.rootHealth` service: whether the backend is alive and whether it
 * is ready for traffic.
 *
 * The root HTTP router answers `GET /.backstage/health/v1/liveness` and
 * `GET /.backstage/health/v1/readiness` with the status and JSON body this
 * service gives (plus the headers of `backend.health.headers`). A load
 * balancer or Kubernetes probe polls them: liveness says the process works,
 * readiness whether it should get requests.
 *
 * The default implementation follows Backstage's:
 *
 * | | Status | Body |
 * |---|---|---|
 * | liveness, always | 200 | `{"status":"ok"}` |
 * | readiness, before the backend has started | 503 | `{"message":"Backend has not started yet","status":"error"}` |
 * | readiness, once started | 200 | `{"status":"ok"}` |
 * | readiness, from the start of shutdown on | 503 | `{"message":"Backend is shutting down","status":"error"}` |
 *
 * It depends on `core.rootLifecycle`: a startup hook marks the backend
 * started (root startup hooks run once every plugin has started, so a
 * backend whose startup failed never becomes ready) and a before-shutdown
 * hook marks it shutting down. The service is made with the root services,
 * before any plugin initialises, so its before-shutdown hook is among the
 * first to run: readiness turns 503 the moment shutdown begins, before
 * plugins stop and before the server stops accepting connections. Once
 * shutting down, readiness never turns back.
 *
 * A replacement (for example, one that also reports a database as down)
 * implements the interface and is added as a factory for
 * [const@Bk.SERVICE_ROOT_HEALTH]. Its methods are called on the backend's
 * main context for every probe, so they answer from state the service keeps
 * current (through hooks, signals or timers) rather than doing blocking
 * work.
 *
 * Since: 0.1
 */

#include "libbackend.h"
#include "bk-services-private.h"

G_DEFINE_INTERFACE (BkRootHealth, bk_root_health, G_TYPE_OBJECT)

static void
bk_root_health_default_init (BkRootHealthInterface *iface)
{
}

/**
 * bk_root_health_get_liveness:
 * @self: a #BkRootHealth
 * @status: (out) (optional): return location for the HTTP status
 *
 * Says whether the backend is alive, for
 * `GET /.backstage/health/v1/liveness`. The default implementation always
 * answers 200 `{"status":"ok"}`.
 *
 * Returns: (transfer full) (nullable): the response body, or %NULL for
 *   none
 *
 * Since: 0.1
 */
JsonNode *
bk_root_health_get_liveness (BkRootHealth *self,
                             guint        *status)
{
  BkRootHealthInterface *iface;
  guint local_status = 0;
  JsonNode *payload;

  g_return_val_if_fail (BK_IS_ROOT_HEALTH (self), NULL);

  iface = BK_ROOT_HEALTH_GET_IFACE (self);
  g_return_val_if_fail (iface->get_liveness != NULL, NULL);

  payload = iface->get_liveness (self, &local_status);
  if (status != NULL)
    *status = local_status;

  return payload;
}

/**
 * bk_root_health_get_readiness:
 * @self: a #BkRootHealth
 * @status: (out) (optional): return location for the HTTP status
 *
 * Says whether the backend is ready for traffic, for
 * `GET /.backstage/health/v1/readiness`. The default implementation answers
 * 503 `{"message":"Backend has not started yet","status":"error"}` until
 * the root lifecycle's startup phase, 200 `{"status":"ok"}` from then on,
 * and 503 `{"message":"Backend is shutting down","status":"error"}` from the
 * before-shutdown phase on.
 *
 * Returns: (transfer full) (nullable): the response body, or %NULL for
 *   none
 *
 * Since: 0.1
 */
JsonNode *
bk_root_health_get_readiness (BkRootHealth *self,
                              guint        *status)
{
  BkRootHealthInterface *iface;
  guint local_status = 0;
  JsonNode *payload;

  g_return_val_if_fail (BK_IS_ROOT_HEALTH (self), NULL);

  iface = BK_ROOT_HEALTH_GET_IFACE (self);
  g_return_val_if_fail (iface->get_readiness != NULL, NULL);

  payload = iface->get_readiness (self, &local_status);
  if (status != NULL)
    *status = local_status;

  return payload;
}

/* The default `core.rootHealth`: readiness follows the root lifecycle. */

typedef enum
{
  HEALTH_STATE_NOT_STARTED,
  HEALTH_STATE_STARTED,
  HEALTH_STATE_SHUTTING_DOWN,
} HealthState;

#define BK_TYPE_DEFAULT_ROOT_HEALTH (bk_default_root_health_get_type ())
G_DECLARE_FINAL_TYPE (BkDefaultRootHealth, bk_default_root_health, BK, DEFAULT_ROOT_HEALTH, GObject)

struct _BkDefaultRootHealth
{
  GObject     parent_instance;
  HealthState state;
};

static void bk_default_root_health_iface_init (BkRootHealthInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (BkDefaultRootHealth, bk_default_root_health, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (BK_TYPE_ROOT_HEALTH,
                                                      bk_default_root_health_iface_init))

/* {"status":"ok"}, or {"message":…,"status":"error"} (Backstage's order). */
static JsonNode *
health_payload (const char *message)
{
  g_autoptr(JsonObject) object = json_object_new ();
  JsonNode *node;

  if (message != NULL)
    {
      json_object_set_string_member (object, "message", message);
      json_object_set_string_member (object, "status", "error");
    }
  else
    json_object_set_string_member (object, "status", "ok");

  node = json_node_new (JSON_NODE_OBJECT);
  json_node_set_object (node, object);
  return node;
}

static JsonNode *
bk_default_root_health_get_liveness (BkRootHealth *health,
                                     guint        *status)
{
  *status = 200;
  return health_payload (NULL);
}

static JsonNode *
bk_default_root_health_get_readiness (BkRootHealth *health,
                                      guint        *status)
{
  BkDefaultRootHealth *self = BK_DEFAULT_ROOT_HEALTH (health);

  switch (self->state)
    {
    case HEALTH_STATE_NOT_STARTED:
      *status = 503;
      return health_payload ("Backend has not started yet");
    case HEALTH_STATE_STARTED:
      *status = 200;
      return health_payload (NULL);
    case HEALTH_STATE_SHUTTING_DOWN:
      *status = 503;
      return health_payload ("Backend is shutting down");
    default:
      g_assert_not_reached ();
    }

  return NULL;
}

static void
bk_default_root_health_iface_init (BkRootHealthInterface *iface)
{
  iface->get_liveness = bk_default_root_health_get_liveness;
  iface->get_readiness = bk_default_root_health_get_readiness;
}

static void
bk_default_root_health_class_init (BkDefaultRootHealthClass *klass)
{
}

static void
bk_default_root_health_init (BkDefaultRootHealth *self)
{
  self->state = HEALTH_STATE_NOT_STARTED;
}

static gboolean
mark_started (gpointer   user_data,
              GError   **error)
{
  BkDefaultRootHealth *self = user_data;

  /* Shutdown may have begun first (a stop during start): stay down. */
  if (self->state == HEALTH_STATE_NOT_STARTED)
    self->state = HEALTH_STATE_STARTED;
  return TRUE;
}

static gboolean
mark_shutting_down (gpointer   user_data,
                    GError   **error)
{
  BkDefaultRootHealth *self = user_data;

  self->state = HEALTH_STATE_SHUTTING_DOWN;
  return TRUE;
}

static GObject *
create_root_health (BkDeps    *deps,
                    gpointer   root_context,
                    gpointer   user_data,
                    GError   **error)
{
  BkLifecycle *lifecycle = bk_deps_get (deps, BK_SERVICE_ROOT_LIFECYCLE);
  g_autoptr(BkDefaultRootHealth) self = NULL;

  g_return_val_if_fail (BK_IS_LIFECYCLE (lifecycle), NULL);

  self = g_object_new (BK_TYPE_DEFAULT_ROOT_HEALTH, NULL);

  /* The hooks hold the service until they have run (or the lifecycle is
   * gone); the service holds nothing of the lifecycle. */
  if (!BK_LIFECYCLE_ADD_HOOK (lifecycle, BK_LIFECYCLE_PHASE_STARTUP,
                              mark_started, g_object_ref (self), g_object_unref, error))
    return NULL;
  if (!BK_LIFECYCLE_ADD_HOOK (lifecycle, BK_LIFECYCLE_PHASE_BEFORE_SHUTDOWN,
                              mark_shutting_down, g_object_ref (self), g_object_unref, error))
    return NULL;

  return G_OBJECT (g_steal_pointer (&self));
}

BkServiceFactory *
_bk_root_health_default_factory (void)
{
  return bk_service_factory_new (BK_SERVICE_ROOT_HEALTH,
                                 create_root_health, NULL, NULL,
                                 BK_SERVICE_ROOT_LIFECYCLE,
                                 NULL);
}
