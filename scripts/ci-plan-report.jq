# The plan report of one root (scripts/ci-plan-roots.sh; docs/pipelines.md): counts, whether the plan
# changes anything, and whether it touches prod. Input: `terraform show -json` of the saved plan; $prod:
# the prod environment names, space-separated.
#
# A change touches prod when its resource is tagged with a prod environment (before or after) or belongs
# to a module whose call is tagged so or uses var.networks["<prod>"]. That decides the gate of the single
# root (it holds every environment); a per-database root's gate comes from its environment (changed-roots).
def acts: (.change.actions // []);
def changing: (acts | length > 0 and . != ["no-op"] and . != ["read"]);
def top: (.module_address // "" | if . == "" then "" else (split(".")[0:2] | join(".")) end);
def envtags: ((.change.before // {} | .tags // {} | .environment // empty),
  (.change.after // {} | .tags // {} | .environment // empty));
($prod | split(" ") | map(select(length > 0))) as $envs
| def isprod: . as $e | any($envs[]; . == $e);
([(.configuration.root_module.module_calls // {}) | to_entries[]
  | select((.value.expressions.tags.constant_value.environment // "" | isprod)
      or any(.value.expressions[]? | (.references? // [])[];
        . as $r | any($envs[]; . as $e | $r | startswith("var.networks[\"" + $e + "\"]"))))
  | "module." + .key]) as $configured
| ([.resource_changes[]? | select(any(envtags; isprod)) | top | select(length > 0)]) as $tagged
| (($configured + $tagged) | unique) as $modules
| [.resource_changes[]? | select(changing)] as $changes
| [$changes[] | select((top as $m | any($modules[]; . == $m)) or any(envtags; isprod))] as $prod
| [(.output_changes // {}) | to_entries[] | select(.value.actions != ["no-op"]) | .key] as $outputs
| ([$changes[] | select(any(acts[]; . == "create"))] | length) as $add
| ([$changes[] | select(acts == ["update"])] | length) as $change
| ([$changes[] | select(any(acts[]; . == "delete"))] | length) as $destroy
| {
    summary: "Plan: \($add) to add, \($change) to change, \($destroy) to destroy.",
    add: $add, change: $change, destroy: $destroy,
    has_changes: (($changes | length) > 0 or ($outputs | length) > 0),
    touches_prod: (($prod | length) > 0),
    prod_environments: $envs,
    prod_modules: $modules,
    prod_modules_changed: ([$prod[] | top | select(length > 0)] | unique),
    prod_changes: [$prod[] | .address]
  }
