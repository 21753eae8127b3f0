/* bk-registry.c: which factory makes each service, and its instances.
 *
 * The registry holds one entry per factory (several for a multiton ref),
 * falls back to a ref's default factory (its getter called at most once),
 * plans a start (cycles, missing dependencies, scope violations, all at
 * once, before anything runs) and creates instances once per scope: one
 * slot per (entry, plugin) for plugin-scoped refs, one per entry for root
 * ones. Concurrent requests for a slot that is being made wait on it.
 *
 * Completion is by plain callbacks (BkDoneFunc), invoked directly when the
 * work is synchronous, so a backend of sync factories starts without a
 * single main-loop round trip.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <string.h>

#include "bk-registry-private.h"
#include "bk-services-private.h"

typedef enum
{
  SLOT_PENDING,
  SLOT_READY,
  SLOT_FAILED,
} SlotState;

typedef struct
{
  BkDoneFunc done;
  gpointer   data;
} Waiter;

typedef struct _Entry Entry;

typedef struct
{
  BkRegistry *registry;
  Entry      *entry;
  char       *plugin_id;   /* NULL for root scope */
  SlotState   state;
  GObject    *instance;
  GError     *error;
  GArray     *waiters;     /* Waiter */
} Slot;

struct _Entry
{
  BkServiceFactory *factory;      /* NULL for builtins */
  BkServiceRef     *ref;
  guint             order;
  BkFactorySource   source;
  char             *loader_name;
  GObject          *builtin;      /* a builtin root instance */

  /* root context of a plugin-scoped factory */
  SlotState         ctx_state;
  gboolean          ctx_started;
  gpointer          ctx;
  GError           *ctx_error;
  GArray           *ctx_waiters;

  Slot             *root_slot;
  GHashTable       *plugin_slots; /* plugin id → Slot */
};

struct _BkRegistry
{
  GPtrArray       *entries;        /* Entry, insertion order, owned */
  GHashTable      *by_ref;         /* BkServiceRef → GPtrArray of Entry */
  GHashTable      *defaults_tried; /* BkServiceRef → GError* of the getter, or NULL */
  GHashTable      *ref_ids;        /* id → BkServiceRef: one ref per id */
  GPtrArray       *created;        /* Slot, in creation order */
  guint            next_order;
  BkObjectTracker  tracker;
  gpointer         tracker_data;
};

static void
waiters_notify (GArray       *waiters,
                gpointer      result,
                const GError *error)
{
  for (guint i = 0; i < waiters->len; i++)
    {
      Waiter *w = &g_array_index (waiters, Waiter, i);

      w->done (w->data, result, error);
    }
}

static void
free_error (gpointer error)
{
  if (error != NULL)
    g_error_free (error);
}

static void
slot_free (gpointer data)
{
  Slot *slot = data;

  g_clear_object (&slot->instance);
  g_clear_error (&slot->error);
  g_clear_pointer (&slot->waiters, g_array_unref);
  g_free (slot->plugin_id);
  g_free (slot);
}

static void
entry_free (gpointer data)
{
  Entry *entry = data;

  g_clear_pointer (&entry->root_slot, slot_free);
  g_clear_pointer (&entry->plugin_slots, g_hash_table_unref);
  if (entry->ctx_state == SLOT_READY && entry->factory != NULL)
    _bk_service_factory_destroy_root_context (entry->factory, g_steal_pointer (&entry->ctx));
  g_clear_error (&entry->ctx_error);
  g_clear_pointer (&entry->ctx_waiters, g_array_unref);
  g_clear_object (&entry->builtin);
  g_clear_object (&entry->factory);
  g_clear_object (&entry->ref);
  g_free (entry->loader_name);
  g_free (entry);
}

static const char *
ref_id (BkServiceRef *ref)
{
  return bk_service_ref_get_id (ref);
}

static gboolean
is_plugin_scoped (BkServiceRef *ref)
{
  return bk_service_ref_get_scope (ref) == BK_SERVICE_SCOPE_PLUGIN;
}

static gboolean
entry_is_instantiated (Entry *entry)
{
  return entry->root_slot != NULL
      || (entry->plugin_slots != NULL && g_hash_table_size (entry->plugin_slots) > 0)
      || entry->ctx_started;
}

static Entry *
entry_new (BkRegistry       *self,
           BkServiceRef     *ref,
           BkServiceFactory *factory,
           BkFactorySource   source,
           const char       *loader_name)
{
  Entry *entry = g_new0 (Entry, 1);
  GPtrArray *list;

  entry->ref = g_object_ref (ref);
  entry->factory = factory ? g_object_ref (factory) : NULL;
  entry->order = self->next_order++;
  entry->source = source;
  entry->loader_name = g_strdup (loader_name);
  entry->plugin_slots = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, slot_free);

  g_ptr_array_add (self->entries, entry);
  g_hash_table_insert (self->ref_ids, (gpointer) ref_id (ref), ref);
  list = g_hash_table_lookup (self->by_ref, ref);
  if (list == NULL)
    {
      list = g_ptr_array_new ();
      g_hash_table_insert (self->by_ref, ref, list);
    }
  g_ptr_array_add (list, entry);

  return entry;
}

/* @entry takes @old's place: its order and its position among the entries,
 * as a key set again keeps its place in Backstage's Map. */
static void
entry_take_place (BkRegistry *self,
                  Entry      *entry,
                  guint       order,
                  guint       position)
{
  g_ptr_array_steal_index (self->entries, self->entries->len - 1);
  g_ptr_array_insert (self->entries, position, entry);
  entry->order = order;
}

static void
entry_remove (BkRegistry *self,
              Entry      *entry)
{
  GPtrArray *list = g_hash_table_lookup (self->by_ref, entry->ref);

  if (list != NULL)
    g_ptr_array_remove (list, entry);
  g_ptr_array_remove (self->entries, entry); /* frees */
}

BkRegistry *
_bk_registry_new (BkObjectTracker tracker,
                  gpointer        tracker_data)
{
  BkRegistry *self = g_new0 (BkRegistry, 1);

  self->entries = g_ptr_array_new_with_free_func (entry_free);
  self->by_ref = g_hash_table_new_full (NULL, NULL, NULL, (GDestroyNotify) g_ptr_array_unref);
  self->defaults_tried = g_hash_table_new_full (NULL, NULL, NULL, free_error);
  self->ref_ids = g_hash_table_new (g_str_hash, g_str_equal);
  self->created = g_ptr_array_new ();
  self->tracker = tracker;
  self->tracker_data = tracker_data;

  /* core.pluginMetadata is built in: one instance per plugin, made here. */
  entry_new (self, BK_SERVICE_PLUGIN_METADATA, NULL, BK_FACTORY_SOURCE_BUILTIN, NULL);

  return self;
}

void
_bk_registry_release (BkRegistry *self)
{
  /* Drop instances newest first, so a service goes before what it used. */
  for (guint i = self->created->len; i > 0; i--)
    {
      Slot *slot = g_ptr_array_index (self->created, i - 1);

      g_clear_object (&slot->instance);
    }
  g_ptr_array_set_size (self->created, 0);
  for (guint i = 0; i < self->entries->len; i++)
    {
      Entry *entry = g_ptr_array_index (self->entries, i);

      if (entry->ctx_state == SLOT_READY && entry->factory != NULL)
        {
          _bk_service_factory_destroy_root_context (entry->factory, g_steal_pointer (&entry->ctx));
          entry->ctx_state = SLOT_FAILED;
          entry->ctx_error = g_error_new_literal (BK_BACKEND_ERROR, BK_BACKEND_ERROR_FACTORY_FAILED,
                                                  "the backend has stopped");
        }
      g_clear_object (&entry->builtin);
    }
}

void
_bk_registry_free (BkRegistry *self)
{
  if (self == NULL)
    return;
  _bk_registry_release (self);
  g_clear_pointer (&self->created, g_ptr_array_unref);
  g_clear_pointer (&self->by_ref, g_hash_table_unref);
  g_clear_pointer (&self->entries, g_ptr_array_unref);
  g_clear_pointer (&self->defaults_tried, g_hash_table_unref);
  g_clear_pointer (&self->ref_ids, g_hash_table_unref);
  g_free (self);
}

static Entry *
find_entry_by_source (GPtrArray       *list,
                      BkFactorySource  source)
{
  for (guint i = 0; list != NULL && i < list->len; i++)
    {
      Entry *entry = g_ptr_array_index (list, i);

      if (entry->source == source)
        return entry;
    }
  return NULL;
}

gboolean
_bk_registry_add (BkRegistry        *self,
                  BkServiceFactory  *factory,
                  BkFactorySource    source,
                  const char        *loader_name,
                  GError           **error)
{
  BkServiceRef *ref = bk_service_factory_get_service (factory);
  GPtrArray *list = g_hash_table_lookup (self->by_ref, ref);
  Entry *existing;

  {
    BkServiceRef *known = g_hash_table_lookup (self->ref_ids, ref_id (ref));

    if (known != NULL && known != ref)
      {
        g_set_error (error, BK_BACKEND_ERROR, BK_BACKEND_ERROR_DUPLICATE_SERVICE,
                     "Two different service refs have the id '%s'; define each ref once "
                     "(BK_DEFINE_SERVICE_REF) and share its getter", ref_id (ref));
        return FALSE;
      }
  }

  if (ref == BK_SERVICE_PLUGIN_METADATA || g_strcmp0 (ref_id (ref), "core.pluginMetadata") == 0)
    {
      g_set_error_literal (error, BK_BACKEND_ERROR, BK_BACKEND_ERROR_SERVICE_OVERRIDE,
                           "The core.pluginMetadata service cannot be overridden");
      return FALSE;
    }

  if (bk_service_ref_is_multiton (ref))
    {
      /* Once its instances were handed out, a multiton is complete. */
      for (guint i = 0; list != NULL && i < list->len; i++)
        if (entry_is_instantiated (g_ptr_array_index (list, i)))
          goto instantiated;

      /* A multiton collects every factory; its own default only stands in
       * while none was given. */
      existing = find_entry_by_source (list, BK_FACTORY_SOURCE_REF_DEFAULT);
      if (existing != NULL && !entry_is_instantiated (existing))
        entry_remove (self, existing);
      entry_new (self, ref, factory, source, loader_name);
      return TRUE;
    }

  switch (source)
    {
    case BK_FACTORY_SOURCE_DEFAULT:
      if (list != NULL && list->len > 0)
        goto duplicate;
      break;

    case BK_FACTORY_SOURCE_EXPLICIT:
      if (find_entry_by_source (list, BK_FACTORY_SOURCE_EXPLICIT) != NULL)
        goto duplicate;
      existing = list && list->len > 0 ? g_ptr_array_index (list, 0) : NULL;
      if (existing != NULL)
        {
          if (entry_is_instantiated (existing))
            goto instantiated;
          goto replace;
        }
      break;

    case BK_FACTORY_SOURCE_LOADER:
      if (find_entry_by_source (list, BK_FACTORY_SOURCE_EXPLICIT) != NULL ||
          find_entry_by_source (list, BK_FACTORY_SOURCE_DEFAULT) != NULL)
        return TRUE; /* the factory given to the backend wins */
      existing = find_entry_by_source (list, BK_FACTORY_SOURCE_LOADER);
      if (existing != NULL)
        {
          g_set_error (error, BK_BACKEND_ERROR, BK_BACKEND_ERROR_DUPLICATE_SERVICE,
                       "Duplicate service implementations provided for %s by both feature loader '%s' and feature loader '%s'",
                       ref_id (ref), existing->loader_name, loader_name);
          return FALSE;
        }
      existing = find_entry_by_source (list, BK_FACTORY_SOURCE_REF_DEFAULT);
      if (existing != NULL)
        {
          if (entry_is_instantiated (existing))
            goto instantiated;
          goto replace;
        }
      break;

    case BK_FACTORY_SOURCE_REF_DEFAULT:
    case BK_FACTORY_SOURCE_BUILTIN:
    default:
      g_assert_not_reached ();
    }

  entry_new (self, ref, factory, source, loader_name);
  return TRUE;

replace:
  {
    guint order = existing->order;
    guint position = 0;

    g_ptr_array_find (self->entries, existing, &position);
    entry_remove (self, existing);
    entry_take_place (self, entry_new (self, ref, factory, source, loader_name), order, position);
  }
  return TRUE;

duplicate:
  g_set_error (error, BK_BACKEND_ERROR, BK_BACKEND_ERROR_DUPLICATE_SERVICE,
               "Duplicate service implementations provided for %s", ref_id (ref));
  return FALSE;

instantiated:
  g_set_error (error, BK_BACKEND_ERROR, BK_BACKEND_ERROR_SERVICE_OVERRIDE,
               "Unable to set service factory with id %s, service has already been instantiated",
               ref_id (ref));
  return FALSE;
}

void
_bk_registry_set_builtin (BkRegistry   *self,
                          BkServiceRef *ref,
                          GObject      *instance)
{
  Entry *entry;

  if (_bk_registry_has_factory (self, ref))
    return;
  entry = entry_new (self, ref, NULL, BK_FACTORY_SOURCE_BUILTIN, NULL);
  entry->builtin = g_object_ref (instance);
}

gboolean
_bk_registry_has_factory (BkRegistry   *self,
                          BkServiceRef *ref)
{
  GPtrArray *list = g_hash_table_lookup (self->by_ref, ref);

  return list != NULL && list->len > 0;
}

/* The entries for @ref, falling back to its default factory (looked up
 * once). Returns NULL with @error only when the default getter fails; an
 * empty or NULL array otherwise means "no factory". */
static GPtrArray *
entries_for_ref (BkRegistry    *self,
                 BkServiceRef  *ref,
                 GError       **error)
{
  GPtrArray *list = g_hash_table_lookup (self->by_ref, ref);
  g_autoptr(BkServiceFactory) factory = NULL;

  if (list != NULL && list->len > 0)
    return list;
  if (!bk_service_ref_has_default_factory (ref))
    return list;
  if (g_hash_table_contains (self->defaults_tried, ref))
    {
      /* the getter ran once; every dependent gets its outcome */
      const GError *failure = g_hash_table_lookup (self->defaults_tried, ref);

      if (failure != NULL)
        g_propagate_error (error, g_error_copy (failure));
      return failure != NULL ? NULL : list;
    }

  factory = bk_service_ref_create_default_factory (ref);
  if (factory == NULL)
    {
      GError *failure = g_error_new (BK_BACKEND_ERROR, BK_BACKEND_ERROR_FACTORY_FAILED,
                                     "Failed to instantiate service '%s' because the default factory loader threw an error, "
                                     "the default factory function returned NULL",
                                     ref_id (ref));

      g_hash_table_insert (self->defaults_tried, ref, failure);
      g_propagate_error (error, g_error_copy (failure));
      return NULL;
    }
  g_hash_table_insert (self->defaults_tried, ref, NULL);
  entry_new (self, ref, factory, BK_FACTORY_SOURCE_REF_DEFAULT, NULL);
  return g_hash_table_lookup (self->by_ref, ref);
}

GPtrArray *
_bk_registry_get_eager_refs (BkRegistry     *self,
                             BkServiceScope  scope)
{
  GPtrArray *refs = g_ptr_array_new ();

  for (guint i = 0; i < self->entries->len; i++)
    {
      Entry *entry = g_ptr_array_index (self->entries, i);

      if (entry->factory == NULL || bk_service_ref_get_scope (entry->ref) != scope)
        continue;
      if (_bk_service_factory_is_eager (entry->factory) &&
          !g_ptr_array_find (refs, entry->ref, NULL))
        g_ptr_array_add (refs, entry->ref);
    }
  return refs;
}

/* Planning --------------------------------------------------------------- */

typedef struct
{
  BkRegistry *registry;
  GHashTable *visited;     /* Entry → plugin id of first visit (or "") */
  GPtrArray  *lines;       /* char*, errors other than cycles */
  GPtrArray  *codes;       /* GINT_TO_POINTER (code), parallel to lines */
} Plan;

/* Lines are reported by kind, in the order docs/container.md lists them:
 * missing dependencies, then scope violations, then anything else. */
static guint
line_rank (gint code)
{
  switch (code)
    {
    case BK_BACKEND_ERROR_MISSING_DEPENDENCY:
      return 0;
    case BK_BACKEND_ERROR_SCOPE_VIOLATION:
      return 1;
    default:
      return 2;
    }
}

static void
plan_add_line (Plan   *plan,
               gint    code,
               char   *line)
{
  guint rank = line_rank (code);
  guint at = plan->lines->len;

  /* stable insertion after every line of the same or a lower rank */
  while (at > 0 && line_rank (GPOINTER_TO_INT (g_ptr_array_index (plan->codes, at - 1))) > rank)
    at--;
  g_ptr_array_insert (plan->lines, at, line);
  g_ptr_array_insert (plan->codes, at, GINT_TO_POINTER (code));
}

static void
plan_visit (Plan       *plan,
            Entry      *entry,
            const char *plugin_id)
{
  g_autoptr(GPtrArray) missing = NULL;
  gboolean root = !is_plugin_scoped (entry->ref);
  GPtrArray *deps;

  if (g_hash_table_contains (plan->visited, entry))
    return;
  g_hash_table_insert (plan->visited, entry, (gpointer) (plugin_id ? plugin_id : ""));

  if (entry->factory == NULL)
    return;

  deps = _bk_service_factory_get_deps (entry->factory);
  missing = g_ptr_array_new ();

  for (guint i = 0; i < deps->len; i++)
    {
      BkServiceRef *dep = g_ptr_array_index (deps, i);
      g_autoptr(GError) error = NULL;
      GPtrArray *dep_entries;

      if (root && is_plugin_scoped (dep))
        {
          plan_add_line (plan, BK_BACKEND_ERROR_SCOPE_VIOLATION,
                         g_strdup_printf ("Failed to instantiate 'root' scoped service '%s' because it depends on 'plugin' scoped service '%s'.",
                                          ref_id (entry->ref), ref_id (dep)));
          continue;
        }

      dep_entries = entries_for_ref (plan->registry, dep, &error);
      if (error != NULL)
        {
          plan_add_line (plan, error->code, g_strdup (error->message));
          continue;
        }
      if ((dep_entries == NULL || dep_entries->len == 0) && !bk_service_ref_is_multiton (dep))
        {
          g_ptr_array_add (missing, dep);
          continue;
        }
      for (guint j = 0; dep_entries != NULL && j < dep_entries->len; j++)
        plan_visit (plan, g_ptr_array_index (dep_entries, j), root ? NULL : plugin_id);
    }

  if (missing->len > 0)
    {
      g_autoptr(GString) line = g_string_new ("Failed to instantiate service '");

      g_string_append (line, ref_id (entry->ref));
      g_string_append_c (line, '\'');
      if (!root && plugin_id != NULL)
        g_string_append_printf (line, " for '%s'", plugin_id);
      g_string_append (line, " because the following dependent services are missing: ");
      for (guint i = 0; i < missing->len; i++)
        g_string_append_printf (line, "%s'%s'", i > 0 ? ", " : "",
                                ref_id (g_ptr_array_index (missing, i)));
      plan_add_line (plan, BK_BACKEND_ERROR_MISSING_DEPENDENCY, g_string_free (g_steal_pointer (&line), FALSE));
    }
}

static gint
compare_entries (gconstpointer a,
                 gconstpointer b)
{
  const Entry *ea = *(const Entry * const *) a;
  const Entry *eb = *(const Entry * const *) b;

  return (ea->order > eb->order) - (ea->order < eb->order);
}

static gint
compare_strings (gconstpointer a,
                 gconstpointer b)
{
  return strcmp (*(const char * const *) a, *(const char * const *) b);
}

/* Backstage's walk: from each node in insertion order, a depth-first
 * search along "consumes" edges; reaching the start node again is a
 * cycle, reported once per set of nodes, starting at its first node. */
static void
find_cycles (BkRegistry *self,
             GString    *out)
{
  g_autoptr(GPtrArray) nodes = g_ptr_array_copy (self->entries, NULL, NULL);
  g_autoptr(GHashTable) seen_sets = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);

  g_ptr_array_set_free_func (nodes, NULL); /* a view: the copy keeps the free func */
  g_ptr_array_sort (nodes, compare_entries);

  for (guint n = 0; n < nodes->len; n++)
    {
      Entry *start = g_ptr_array_index (nodes, n);
      g_autoptr(GHashTable) visited = g_hash_table_new (NULL, NULL);
      g_autoptr(GPtrArray) stack = g_ptr_array_new_with_free_func ((GDestroyNotify) g_ptr_array_unref);
      GPtrArray *first = g_ptr_array_new ();

      g_ptr_array_add (first, start);
      g_ptr_array_add (stack, first);

      while (stack->len > 0)
        {
          g_autoptr(GPtrArray) path = g_ptr_array_steal_index (stack, stack->len - 1);
          Entry *current = g_ptr_array_index (path, path->len - 1);
          GPtrArray *deps;

          if (g_hash_table_contains (visited, current))
            continue;
          g_hash_table_add (visited, current);
          if (current->factory == NULL)
            continue;

          deps = _bk_service_factory_get_deps (current->factory);
          for (guint i = 0; i < deps->len; i++)
            {
              GPtrArray *providers = g_hash_table_lookup (self->by_ref, g_ptr_array_index (deps, i));

              for (guint j = 0; providers != NULL && j < providers->len; j++)
                {
                  Entry *provider = g_ptr_array_index (providers, j);

                  if (provider == start)
                    {
                      g_autoptr(GPtrArray) members = g_ptr_array_new ();
                      g_autoptr(GString) key = g_string_new (NULL);

                      /* one report per set of services (a multiton's
                       * factories are one service) */
                      for (guint k = 0; k < path->len; k++)
                        {
                          const char *id = ref_id (((Entry *) g_ptr_array_index (path, k))->ref);

                          if (!g_ptr_array_find_with_equal_func (members, id, g_str_equal, NULL))
                            g_ptr_array_add (members, (gpointer) id);
                        }
                      g_ptr_array_sort (members, compare_strings);
                      for (guint k = 0; k < members->len; k++)
                        g_string_append_printf (key, "%s\n", (const char *) g_ptr_array_index (members, k));
                      if (!g_hash_table_contains (seen_sets, key->str))
                        {
                          g_hash_table_add (seen_sets, g_string_free (g_steal_pointer (&key), FALSE));
                          g_string_append (out, "\n ");
                          for (guint k = 0; k < path->len; k++)
                            g_string_append_printf (out, " '%s' ->",
                                                    ref_id (((Entry *) g_ptr_array_index (path, k))->ref));
                          g_string_append_printf (out, " '%s'", ref_id (start->ref));
                        }
                    }
                  else if (!g_hash_table_contains (visited, provider))
                    {
                      GPtrArray *next = g_ptr_array_copy (path, NULL, NULL);

                      g_ptr_array_add (next, provider);
                      g_ptr_array_add (stack, next);
                    }
                }
            }
        }
    }
}

gboolean
_bk_registry_plan (BkRegistry           *self,
                   const BkPlanRequest  *requests,
                   guint                 n_requests,
                   GError              **error)
{
  g_autoptr(GString) cycles = g_string_new (NULL);
  g_autoptr(GString) message = g_string_new (NULL);
  g_autoptr(GHashTable) visited = g_hash_table_new (NULL, NULL);
  g_autoptr(GPtrArray) lines = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GPtrArray) codes = g_ptr_array_new ();
  Plan plan = { self, visited, lines, codes };
  gint code;

  for (guint i = 0; i < n_requests; i++)
    {
      g_autoptr(GError) local_error = NULL;
      GPtrArray *entries = entries_for_ref (self, requests[i].ref, &local_error);

      if (local_error != NULL)
        {
          plan_add_line (&plan, local_error->code, g_strdup (local_error->message));
          continue;
        }
      for (guint j = 0; entries != NULL && j < entries->len; j++)
        plan_visit (&plan, g_ptr_array_index (entries, j), requests[i].plugin_id);
    }

  find_cycles (self, cycles);

  if (cycles->len == 0 && lines->len == 0)
    return TRUE;

  code = lines->len > 0 ? GPOINTER_TO_INT (g_ptr_array_index (codes, 0)) : 0;
  if (cycles->len > 0)
    {
      g_string_append (message, "Circular dependencies detected:");
      g_string_append (message, cycles->str);
      code = BK_BACKEND_ERROR_CIRCULAR_DEPENDENCY;
    }
  for (guint i = 0; i < lines->len; i++)
    {
      if (message->len > 0)
        g_string_append_c (message, '\n');
      g_string_append (message, g_ptr_array_index (lines, i));
    }
  g_set_error_literal (error, BK_BACKEND_ERROR, code, message->str);
  return FALSE;
}

/* Instances -------------------------------------------------------------- */

typedef struct
{
  BkRegistry   *registry;
  BkDeps       *deps;
  guint         pending;
  GError       *error;
  BkDoneFunc    done;
  gpointer      data;
} Gather;

typedef struct
{
  Gather       *gather;
  BkDependency *dependency;
} GatherItem;

static void
gather_finish (Gather *gather)
{
  if (--gather->pending > 0)
    return;
  if (gather->error != NULL)
    gather->done (gather->data, NULL, gather->error);
  else
    gather->done (gather->data, gather->deps, NULL);
  g_clear_error (&gather->error);
  g_clear_object (&gather->deps);
  g_free (gather);
}

static void
gather_item_done (gpointer      data,
                  gpointer      result,
                  const GError *error)
{
  GatherItem *item = data;
  Gather *gather = item->gather;

  if (error != NULL)
    {
      if (gather->error == NULL)
        gather->error = g_error_copy (error);
    }
  else if (BK_IS_SERVICE_REF (item->dependency) &&
           bk_service_ref_is_multiton (BK_SERVICE_REF (item->dependency)))
    _bk_deps_set_all (gather->deps, BK_SERVICE_REF (item->dependency), result);
  else
    _bk_deps_set (gather->deps, item->dependency, result);

  g_free (item);
  gather_finish (gather);
}

void
_bk_registry_resolve_deps (BkRegistry   *self,
                           GPtrArray    *deps,
                           const char   *plugin_id,
                           BkEpResolver  ep_resolver,
                           gpointer      ep_data,
                           BkDoneFunc    done,
                           gpointer      data)
{
  Gather *gather = g_new0 (Gather, 1);

  gather->registry = self;
  gather->deps = _bk_deps_new (plugin_id);
  gather->pending = 1;
  gather->done = done;
  gather->data = data;

  for (guint i = 0; i < deps->len; i++)
    {
      BkDependency *dep = g_ptr_array_index (deps, i);

      if (BK_IS_EXTENSION_POINT (dep))
        {
          g_autoptr(GError) error = NULL;
          g_autoptr(GObject) object = NULL;

          if (ep_resolver != NULL)
            object = ep_resolver (ep_data, BK_EXTENSION_POINT (dep), &error);
          else
            error = g_error_new (BK_BACKEND_ERROR, BK_BACKEND_ERROR_ILLEGAL_DEPENDENCY,
                                 "Rejected dependency on extension point %s from outside of a module",
                                 bk_dependency_get_id (dep));
          if (object != NULL)
            _bk_deps_set (gather->deps, dep, object);
          else if (gather->error == NULL)
            gather->error = g_steal_pointer (&error);
        }
      else
        {
          GatherItem *item = g_new0 (GatherItem, 1);

          item->gather = gather;
          item->dependency = dep;
          gather->pending++;
          _bk_registry_get (self, BK_SERVICE_REF (dep), plugin_id, gather_item_done, item);
        }
    }

  gather_finish (gather);
}

static void
slot_complete (Slot         *slot,
               GObject      *instance,
               const GError *error)
{
  g_autoptr(GArray) waiters = g_steal_pointer (&slot->waiters);

  if (error != NULL)
    {
      slot->state = SLOT_FAILED;
      slot->error = g_error_copy (error);
    }
  else
    {
      slot->state = SLOT_READY;
      slot->instance = g_object_ref (instance);
      g_ptr_array_add (slot->registry->created, slot);
      if (slot->registry->tracker != NULL)
        {
          g_autofree char *description = NULL;

          if (slot->plugin_id != NULL)
            description = g_strdup_printf ("service '%s' for plugin '%s'",
                                           ref_id (slot->entry->ref), slot->plugin_id);
          else
            description = g_strdup_printf ("service '%s'", ref_id (slot->entry->ref));
          slot->registry->tracker (instance, description, slot->registry->tracker_data);
        }
    }

  waiters_notify (waiters, slot->instance, slot->error);
}

static void
slot_created (gpointer      data,
              gpointer      result,
              const GError *error)
{
  Slot *slot = data;
  g_autoptr(GError) wrapped = NULL;
  GType iface = bk_dependency_get_interface_type (BK_DEPENDENCY (slot->entry->ref));
  g_autofree char *for_plugin = NULL;

  if (error == NULL && g_type_is_a (G_OBJECT_TYPE (result), iface))
    {
      slot_complete (slot, result, NULL);
      return;
    }

  for_plugin = slot->plugin_id ? g_strdup_printf (" for '%s'", slot->plugin_id) : g_strdup ("");
  if (error != NULL)
    wrapped = g_error_new (BK_BACKEND_ERROR, BK_BACKEND_ERROR_FACTORY_FAILED,
                           "Failed to instantiate service '%s'%s because the factory function threw an error, %s",
                           ref_id (slot->entry->ref), for_plugin, error->message);
  else
    wrapped = g_error_new (BK_BACKEND_ERROR, BK_BACKEND_ERROR_TYPE_MISMATCH,
                           "Failed to instantiate service '%s'%s because the factory function returned a '%s', which does not implement '%s'",
                           ref_id (slot->entry->ref), for_plugin,
                           G_OBJECT_TYPE_NAME (result), g_type_name (iface));

  slot_complete (slot, NULL, wrapped);
}

static void
slot_deps_ready (gpointer      data,
                 gpointer      result,
                 const GError *error)
{
  Slot *slot = data;

  if (error != NULL)
    {
      slot_complete (slot, NULL, error);
      return;
    }
  _bk_service_factory_create (slot->entry->factory, result, slot->entry->ctx, slot_created, slot);
}

static void
slot_resolve_deps (Slot *slot)
{
  _bk_registry_resolve_deps (slot->registry,
                             _bk_service_factory_get_deps (slot->entry->factory),
                             slot->plugin_id,
                             NULL, NULL,
                             slot_deps_ready, slot);
}

static void
ctx_complete (Entry        *entry,
              const GError *error)
{
  g_autoptr(GArray) waiters = g_steal_pointer (&entry->ctx_waiters);

  if (error != NULL)
    {
      entry->ctx_state = SLOT_FAILED;
      entry->ctx_error = g_error_copy (error);
    }
  else
    entry->ctx_state = SLOT_READY;
  waiters_notify (waiters, NULL, entry->ctx_error);
}

static void
ctx_deps_ready (gpointer      data,
                gpointer      result,
                const GError *error)
{
  Entry *entry = data;
  g_autoptr(GError) local_error = NULL;
  g_autoptr(GError) wrapped = NULL;

  if (error != NULL)
    {
      ctx_complete (entry, error);
      return;
    }
  entry->ctx = _bk_service_factory_create_root_context (entry->factory, result, &local_error);
  if (local_error != NULL)
    wrapped = g_error_new (BK_BACKEND_ERROR, BK_BACKEND_ERROR_FACTORY_FAILED,
                           "Failed to instantiate service '%s' because createRootContext threw an error, %s",
                           ref_id (entry->ref), local_error->message);
  ctx_complete (entry, wrapped);
}

static void
slot_ctx_ready (gpointer      data,
                gpointer      result,
                const GError *error)
{
  Slot *slot = data;

  if (error != NULL)
    slot_complete (slot, NULL, error);
  else
    slot_resolve_deps (slot);
}

static void
entry_ensure_ctx (BkRegistry *self,
                  Entry      *entry,
                  Slot       *slot)
{
  Waiter w = { slot_ctx_ready, slot };

  switch (entry->ctx_state)
    {
    case SLOT_READY:
    case SLOT_FAILED:
      if (entry->ctx_started)
        {
          slot_ctx_ready (slot, NULL, entry->ctx_error);
          return;
        }
      break;

    case SLOT_PENDING:
    default:
      if (entry->ctx_started)
        {
          g_array_append_val (entry->ctx_waiters, w);
          return;
        }
      break;
    }

  /* First instance: make the root context from the root-scoped deps. */
  {
    GPtrArray *deps = _bk_service_factory_get_deps (entry->factory);
    g_autoptr(GPtrArray) root_deps = g_ptr_array_new ();

    for (guint i = 0; i < deps->len; i++)
      if (!is_plugin_scoped (g_ptr_array_index (deps, i)))
        g_ptr_array_add (root_deps, g_ptr_array_index (deps, i));

    entry->ctx_started = TRUE;
    entry->ctx_state = SLOT_PENDING;
    entry->ctx_waiters = g_array_new (FALSE, FALSE, sizeof (Waiter));
    g_array_append_val (entry->ctx_waiters, w);
    _bk_registry_resolve_deps (self, root_deps, NULL, NULL, NULL, ctx_deps_ready, entry);
  }
}

static void
entry_get (BkRegistry *self,
           Entry      *entry,
           const char *plugin_id,
           BkDoneFunc  done,
           gpointer    data)
{
  gboolean root = !is_plugin_scoped (entry->ref);
  Waiter w = { done, data };
  Slot *slot;

  slot = root ? entry->root_slot : g_hash_table_lookup (entry->plugin_slots, plugin_id);
  if (slot != NULL)
    {
      switch (slot->state)
        {
        case SLOT_READY:
          done (data, slot->instance, NULL);
          return;
        case SLOT_FAILED:
          done (data, NULL, slot->error);
          return;
        case SLOT_PENDING:
        default:
          g_array_append_val (slot->waiters, w);
          return;
        }
    }

  if (!root && plugin_id == NULL)
    {
      g_autoptr(GError) error = g_error_new (BK_BACKEND_ERROR, BK_BACKEND_ERROR_SCOPE_VIOLATION,
                                             "Service '%s' is scoped to 'plugin' and was asked for without a plugin",
                                             ref_id (entry->ref));
      done (data, NULL, error);
      return;
    }

  slot = g_new0 (Slot, 1);
  slot->registry = self;
  slot->entry = entry;
  slot->plugin_id = root ? NULL : g_strdup (plugin_id);
  slot->state = SLOT_PENDING;
  slot->waiters = g_array_new (FALSE, FALSE, sizeof (Waiter));
  g_array_append_val (slot->waiters, w);
  if (root)
    entry->root_slot = slot;
  else
    g_hash_table_insert (entry->plugin_slots, slot->plugin_id, slot);

  if (entry->source == BK_FACTORY_SOURCE_BUILTIN)
    {
      g_autoptr(GObject) instance = NULL;

      if (entry->builtin != NULL)
        instance = g_object_ref (entry->builtin);
      else
        instance = G_OBJECT (_bk_plugin_metadata_new (plugin_id));
      slot_complete (slot, instance, NULL);
    }
  else if (!root && _bk_service_factory_has_root_context (entry->factory))
    entry_ensure_ctx (self, entry, slot);
  else
    slot_resolve_deps (slot);
}

/* A failed factory leaves its place NULL. */
static void
clear_instance (gpointer instance)
{
  if (instance != NULL)
    g_object_unref (instance);
}

typedef struct
{
  GPtrArray  *instances;
  guint       pending;
  GError     *error;
  BkDoneFunc  done;
  gpointer    data;
} Multi;

typedef struct
{
  Multi *multi;
  guint  index;
} MultiItem;

static void
multi_finish (Multi *multi)
{
  if (--multi->pending > 0)
    return;
  multi->done (multi->data, multi->error ? NULL : multi->instances, multi->error);
  g_clear_error (&multi->error);
  g_ptr_array_unref (multi->instances);
  g_free (multi);
}

static void
multi_item_done (gpointer      data,
                 gpointer      result,
                 const GError *error)
{
  MultiItem *item = data;
  Multi *multi = item->multi;

  if (error != NULL && multi->error == NULL)
    multi->error = g_error_copy (error);
  else if (error == NULL)
    g_ptr_array_index (multi->instances, item->index) = g_object_ref (result);
  g_free (item);
  multi_finish (multi);
}

void
_bk_registry_get (BkRegistry   *self,
                  BkServiceRef *ref,
                  const char   *plugin_id,
                  BkDoneFunc    done,
                  gpointer      data)
{
  g_autoptr(GError) error = NULL;
  GPtrArray *entries = entries_for_ref (self, ref, &error);

  if (error != NULL)
    {
      done (data, NULL, error);
      return;
    }

  if (bk_service_ref_is_multiton (ref))
    {
      Multi *multi = g_new0 (Multi, 1);
      guint n = entries ? entries->len : 0;
      g_autoptr(GPtrArray) snapshot = n ? g_ptr_array_copy (entries, NULL, NULL) : g_ptr_array_new ();

      multi->instances = g_ptr_array_new_full (n, clear_instance);
      g_ptr_array_set_size (multi->instances, n);
      multi->pending = 1;
      multi->done = done;
      multi->data = data;
      for (guint i = 0; i < n; i++)
        {
          MultiItem *item = g_new0 (MultiItem, 1);

          item->multi = multi;
          item->index = i;
          multi->pending++;
          entry_get (self, g_ptr_array_index (snapshot, i), plugin_id, multi_item_done, item);
        }
      multi_finish (multi);
      return;
    }

  if (entries == NULL || entries->len == 0)
    {
      error = g_error_new (BK_BACKEND_ERROR, BK_BACKEND_ERROR_MISSING_DEPENDENCY,
                           "No service available for the following ref(s): serviceRef{%s}",
                           ref_id (ref));
      done (data, NULL, error);
      return;
    }

  entry_get (self, g_ptr_array_index (entries, 0), plugin_id, done, data);
}

GObject *
_bk_registry_lookup (BkRegistry   *self,
                     BkServiceRef *ref,
                     const char   *plugin_id)
{
  GPtrArray *entries = g_hash_table_lookup (self->by_ref, ref);
  Entry *entry;
  Slot *slot;

  if (entries == NULL || entries->len == 0)
    return NULL;
  entry = g_ptr_array_index (entries, 0);
  if (!is_plugin_scoped (ref))
    slot = entry->root_slot;
  else if (plugin_id != NULL)
    slot = g_hash_table_lookup (entry->plugin_slots, plugin_id);
  else
    slot = NULL;
  return slot != NULL && slot->state == SLOT_READY ? slot->instance : NULL;
}

gboolean
_bk_registry_can_provide (BkRegistry    *self,
                          BkServiceRef  *ref,
                          GError       **error)
{
  GPtrArray *entries;

  if (bk_service_ref_is_multiton (ref))
    return TRUE;
  entries = entries_for_ref (self, ref, error);
  return entries != NULL && entries->len > 0;
}
