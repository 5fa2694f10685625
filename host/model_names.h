// Model families by name (engine/model_family.h): the command's --model and the checkpoints.
#pragma once
#include <string>

#include "engine/grid.h"
#include "engine/model_family.h"
#include "host/errors.h"

namespace df {

inline ModelKind parse_model_kind(const std::string& s) {
  for (ModelKind k : {ModelKind::DiffFlow, ModelKind::DDPM, ModelKind::FFJORD})
    if (s == family(k).name) return k;
  throw InputError("unknown model '" + s + "' (known: diffflow ddpm ffjord)");
}

inline const char* model_name(ModelKind k) { return family(k).name; }

// Grid kinds by name (engine/grid.h GridKind): the command's --grid and the checkpoints.
inline GridKind parse_grid_kind(const std::string& s) {
  if (s == "exponent") return GridKind::Exponent;
  if (s == "linear") return GridKind::Linear;
  throw InputError("expected exponent or linear (got '" + s + "')");
}
inline const char* grid_kind_name(GridKind k) { return k == GridKind::Linear ? "linear" : "exponent"; }

}  // namespace df
