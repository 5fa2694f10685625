// Model families by name (engine/model_family.h): the command's --model and the checkpoints.
#pragma once
#include <string>

#include "engine/model_family.h"
#include "host/errors.h"

namespace df {

inline ModelKind parse_model_kind(const std::string& s) {
  for (ModelKind k : {ModelKind::DiffFlow, ModelKind::DDPM, ModelKind::FFJORD})
    if (s == family(k).name) return k;
  throw InputError("unknown model '" + s + "' (known: diffflow ddpm ffjord)");
}

inline const char* model_name(ModelKind k) { return family(k).name; }

}  // namespace df
