/**
 * Loading the models a profile's shadows and canary name, for both stores. Each is loaded with
 * the same key rules and checks as the primary model (`load` is the store's own model loader);
 * one that fails becomes `{error}`: a shadow's failure is logged with the decision, and a
 * canary's leaves its decisions to the primary. Neither fails the request.
 */
import type { ResolvedProfile, VariantModelLoad } from '../fusion/prepare.js';
import type { Profile } from '../fusion/schemas.js';
import { type VariantModel, isModelRef } from '../fusion/loop/variant-schema.js';

/** A store's loader of one stored model, checked against the profile. */
export type ModelLoader = (ref: { key: string; versionId?: string }) => Promise<unknown>;

async function loadOne(model: VariantModel, load: ModelLoader): Promise<VariantModelLoad> {
  try {
    // Inline artifacts were validated with the profile (checkProfile).
    return { model: isModelRef(model) ? await load(model) : model };
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    return { error: message.length > 300 ? `${message.slice(0, 300)}...` : message };
  }
}

/** Sets `resolved.shadowModels` and `resolved.canaryModel` for the profile's variants, if any. */
export async function loadVariantModels(profile: Profile, resolved: ResolvedProfile, load: ModelLoader): Promise<void> {
  const shadows = profile.shadow;
  const canary = profile.canary;
  if (shadows?.some((s) => s.model)) resolved.shadowModels = await Promise.all(shadows.map((s) => (s.model ? loadOne(s.model, load) : undefined)));
  if (canary) resolved.canaryModel = await loadOne(canary.model, load);
}
