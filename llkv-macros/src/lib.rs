//! Procedural macros for LLKV's compute kernels.
//!
//! [`macro@kernel`] takes one generic kernel body and stamps it out for every Arrow
//! primitive type it names **and** for every CPU level it names (x86-64 baseline, AVX2 /
//! x86-64-v3, AVX-512; aarch64 NEON), with a runtime dispatcher that picks the widest
//! version the running CPU supports. Generics alone give the first half (arrow-rs does it
//! with `downcast_primitive_array!`); the second half needs `#[target_feature]` copies of
//! the body, which is what this crate writes for you.
//!
//! The generated code refers to a small runtime (CPU detection, the error type, the
//! `&dyn Array` helpers) that lives in `llkv-kernels`; pass `krate = path` when that crate
//! is reachable under another name (inside `llkv-kernels` itself: `krate = crate`).
//!
//! See [`macro@kernel`] for the exact contract and what is generated.
#![warn(missing_docs)]

use proc_macro::TokenStream;
use proc_macro2::{Span, TokenStream as TokenStream2};
use quote::{format_ident, quote};
use syn::visit::Visit;
use syn::visit_mut::VisitMut;
use syn::{
    FnArg, GenericParam, Ident, ItemFn, Pat, ReturnType, Type, parse_macro_input, spanned::Spanned,
};

/// The element types a kernel can be stamped out for: (Rust name, Arrow type, DataType).
const TYPES: &[(&str, &str, &str)] = &[
    ("i8", "Int8Type", "Int8"),
    ("i16", "Int16Type", "Int16"),
    ("i32", "Int32Type", "Int32"),
    ("i64", "Int64Type", "Int64"),
    ("u8", "UInt8Type", "UInt8"),
    ("u16", "UInt16Type", "UInt16"),
    ("u32", "UInt32Type", "UInt32"),
    ("u64", "UInt64Type", "UInt64"),
    ("f32", "Float32Type", "Float32"),
    ("f64", "Float64Type", "Float64"),
];

/// A CPU level a kernel can be compiled for.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Level {
    Baseline,
    Avx2,
    Avx512,
    Neon,
}

impl Level {
    const ALL: [Level; 4] = [Level::Baseline, Level::Avx2, Level::Avx512, Level::Neon];

    fn name(self) -> &'static str {
        match self {
            Level::Baseline => "baseline",
            Level::Avx2 => "avx2",
            Level::Avx512 => "avx512",
            Level::Neon => "neon",
        }
    }

    /// The `target_arch` the level exists on (`None`: every architecture).
    fn arch(self) -> Option<&'static str> {
        match self {
            Level::Baseline => None,
            Level::Avx2 | Level::Avx512 => Some("x86_64"),
            Level::Neon => Some("aarch64"),
        }
    }

    /// The `#[target_feature(enable = ...)]` list. It must match what
    /// `llkv_kernels::cpu` detects before it reports the level (see its `detect`).
    fn features(self) -> Option<&'static str> {
        match self {
            Level::Baseline => None,
            Level::Avx2 => Some("avx,avx2,fma,bmi1,bmi2,lzcnt,popcnt,f16c"),
            Level::Avx512 => {
                Some("avx,avx2,fma,bmi1,bmi2,lzcnt,popcnt,f16c,avx512f,avx512bw,avx512vl,avx512dq")
            }
            Level::Neon => Some("neon"),
        }
    }

    /// The runtime `CpuLevel` variant.
    fn variant(self) -> Ident {
        Ident::new(
            match self {
                Level::Baseline => "Baseline",
                Level::Avx2 => "Avx2",
                Level::Avx512 => "Avx512",
                Level::Neon => "Neon",
            },
            Span::call_site(),
        )
    }

    /// The stamped levels that may run when the CPU is at `self`, best first.
    fn fallbacks(self) -> &'static [Level] {
        match self {
            Level::Baseline => &[Level::Baseline],
            Level::Avx2 => &[Level::Avx2, Level::Baseline],
            Level::Avx512 => &[Level::Avx512, Level::Avx2, Level::Baseline],
            Level::Neon => &[Level::Neon, Level::Baseline],
        }
    }
}

/// The parsed `#[kernel(...)]` arguments.
struct Args {
    types: Vec<(Ident, Ident, Ident)>,
    levels: Vec<Level>,
    krate: syn::Path,
}

fn parse_args(attr: TokenStream2) -> syn::Result<Args> {
    let mut types: Option<Vec<(Ident, Ident, Ident)>> = None;
    let mut levels: Option<Vec<Level>> = None;
    let mut krate: Option<syn::Path> = None;
    let parser = syn::meta::parser(|meta| {
        if meta.path.is_ident("types") {
            let mut list = Vec::new();
            meta.parse_nested_meta(|m| {
                let ident = m
                    .path
                    .get_ident()
                    .cloned()
                    .ok_or_else(|| m.error("expected a primitive type name such as `i32`"))?;
                let name = ident.to_string();
                let Some((_, arrow, dt)) = TYPES.iter().find(|(n, _, _)| *n == name) else {
                    let names: Vec<&str> = TYPES.iter().map(|t| t.0).collect();
                    return Err(syn::Error::new(
                        ident.span(),
                        format!(
                            "unsupported type `{name}`: a kernel can be stamped out for the \
                             Arrow primitive types {}",
                            names.join(", ")
                        ),
                    ));
                };
                if list
                    .iter()
                    .any(|(i, _, _): &(Ident, Ident, Ident)| *i == ident)
                {
                    return Err(syn::Error::new(
                        ident.span(),
                        format!("type `{name}` is listed twice"),
                    ));
                }
                list.push((
                    ident.clone(),
                    Ident::new(arrow, ident.span()),
                    Ident::new(dt, ident.span()),
                ));
                Ok(())
            })?;
            if list.is_empty() {
                return Err(meta.error("`types(...)` names no type"));
            }
            types = Some(list);
            Ok(())
        } else if meta.path.is_ident("cpu") {
            let mut list = vec![Level::Baseline];
            meta.parse_nested_meta(|m| {
                let ident = m
                    .path
                    .get_ident()
                    .cloned()
                    .ok_or_else(|| m.error("expected a cpu level such as `avx2`"))?;
                let name = ident.to_string();
                let Some(level) = Level::ALL.iter().copied().find(|l| l.name() == name) else {
                    return Err(syn::Error::new(
                        ident.span(),
                        format!(
                            "unknown cpu level `{name}`: expected one of baseline, avx2, \
                             avx512 (x86-64) or neon (aarch64)"
                        ),
                    ));
                };
                if level != Level::Baseline && list.contains(&level) {
                    return Err(syn::Error::new(
                        ident.span(),
                        format!("cpu level `{name}` is listed twice"),
                    ));
                }
                if !list.contains(&level) {
                    list.push(level);
                }
                Ok(())
            })?;
            levels = Some(list);
            Ok(())
        } else if meta.path.is_ident("krate") {
            krate = Some(meta.value()?.parse()?);
            Ok(())
        } else {
            Err(meta.error("unknown argument: expected `types(...)`, `cpu(...)` or `krate = path`"))
        }
    });
    syn::parse::Parser::parse2(parser, attr)?;
    let types = types.ok_or_else(|| {
        syn::Error::new(
            Span::call_site(),
            "missing `types(...)`: name the element types to stamp out, e.g. \
             `#[kernel(types(i32, i64, f64))]`",
        )
    })?;
    Ok(Args {
        types,
        levels: levels.unwrap_or_else(|| Level::ALL.to_vec()),
        krate: krate.unwrap_or_else(|| syn::parse_quote!(::llkv_kernels)),
    })
}

/// Stamps out a kernel per Arrow primitive type and per CPU level, with runtime dispatch.
///
/// # Contract
///
/// Put it on a free, safe, non-`async` function with **exactly one type parameter**, the
/// element type (lifetime parameters are allowed; `impl Trait` and `self` are not):
///
/// ```ignore
/// use llkv_kernels::Native;
///
/// /// Sum of the values, in 64-bit floating point.
/// #[llkv_macros::kernel(types(i32, i64, f64), cpu(baseline, avx2, avx512))]
/// pub fn sum_f64<T: Native>(values: &[T]) -> f64 {
///     values.iter().map(|v| v.to_f64()).sum()
/// }
/// ```
///
/// Arguments:
/// - `types(...)`: the element types, any of `i8 i16 i32 i64 u8 u16 u32 u64 f32 f64`
///   (the natives of Arrow's `Int8Type` ... `Float64Type`).
/// - `cpu(...)` (optional, default all): `baseline` (always generated), `avx2`
///   (x86-64-v3: `avx2,fma,bmi1,bmi2,lzcnt,popcnt,f16c`), `avx512` (the AVX2 set plus
///   `avx512f,avx512bw,avx512vl,avx512dq`), `neon` (aarch64). Levels of another
///   architecture compile to nothing.
/// - `krate = path` (optional, default `::llkv_kernels`): where the runtime lives.
///
/// # What is generated
///
/// For `fn name<T>(args) -> R`:
/// - `fn name<T: name::Kernel>(args) -> R`, the generic entry point, same docs and
///   visibility: it runs the best version for the running CPU (detected once, cached).
/// - `mod name`, holding
///   - `trait Kernel`, implemented for each listed type (`call`, `call_at`);
///   - one `#[inline(always)]` copy of the body, plus one wrapper per CPU level, the
///     non-baseline ones under `#[target_feature]`, each monomorphised for every type by
///     the `Kernel` impls (so the body is compiled once per type *and* per level);
///   - `call_at::<T>(level, args)`: a chosen level, lowered to what the CPU supports
///     (tests use it to check every level against the baseline);
///   - `TYPES` and `supports(&DataType)`;
///   - when every parameter that mentions `T` is a slice `&[T]` and `R` does not mention
///     `T`: `dispatch(...)`, taking `&dyn Array` for each slice parameter, which matches
///     the Arrow type **once per call** and passes the arrays' value buffers
///     (NULL slots included, so handle validity in another parameter).
///
/// The body moves into `mod name` (with `use super::*;`), so it sees the same names.
#[proc_macro_attribute]
pub fn kernel(attr: TokenStream, item: TokenStream) -> TokenStream {
    let attr = TokenStream2::from(attr);
    let item_fn = parse_macro_input!(item as ItemFn);
    match expand(attr, item_fn) {
        Ok(ts) => ts.into(),
        Err(e) => e.to_compile_error().into(),
    }
}

/// Replaces the leading `T` of type paths with `Self`.
struct ToSelf<'a>(&'a Ident);

impl VisitMut for ToSelf<'_> {
    fn visit_type_path_mut(&mut self, tp: &mut syn::TypePath) {
        if tp.qself.is_none()
            && tp.path.leading_colon.is_none()
            && tp.path.segments.first().is_some_and(|s| s.ident == *self.0)
            && let Some(first) = tp.path.segments.first_mut()
        {
            first.ident = Ident::new("Self", first.ident.span());
        }
        syn::visit_mut::visit_type_path_mut(self, tp);
    }
}

/// Whether a type mentions `T` (as the head of a path).
struct Mentions<'a> {
    t: &'a Ident,
    found: bool,
}

impl<'ast> Visit<'ast> for Mentions<'_> {
    fn visit_type_path(&mut self, tp: &'ast syn::TypePath) {
        if tp.path.segments.first().is_some_and(|s| s.ident == *self.t) {
            self.found = true;
        }
        syn::visit::visit_type_path(self, tp);
    }
}

fn mentions<T: ?Sized>(node: &T, t: &Ident, visit: impl Fn(&mut Mentions<'_>, &T)) -> bool {
    let mut m = Mentions { t, found: false };
    visit(&mut m, node);
    m.found
}

/// `&[T]` (with any lifetime, not `mut`).
fn is_slice_of_t(ty: &Type, t: &Ident) -> bool {
    if let Type::Reference(r) = ty
        && r.mutability.is_none()
        && let Type::Slice(s) = &*r.elem
        && let Type::Path(p) = &*s.elem
    {
        return p.qself.is_none() && p.path.is_ident(t);
    }
    false
}

fn expand(attr: TokenStream2, item: ItemFn) -> syn::Result<TokenStream2> {
    let args = parse_args(attr)?;
    let sig = &item.sig;
    let krate = &args.krate;

    // --- signature checks, each with a message that says what to write instead ---
    if let Some(c) = &sig.constness {
        return Err(syn::Error::new(c.span(), "a kernel cannot be a `const fn`"));
    }
    if let Some(a) = &sig.asyncness {
        return Err(syn::Error::new(a.span(), "a kernel cannot be `async`"));
    }
    if let Some(u) = &sig.unsafety {
        return Err(syn::Error::new(
            u.span(),
            "a kernel must be a safe function: the macro adds the `unsafe` target-feature \
             copies itself and calls them only on CPUs that have the features",
        ));
    }
    if let Some(abi) = &sig.abi {
        return Err(syn::Error::new(
            abi.span(),
            "a kernel cannot have an `extern` ABI",
        ));
    }
    if let Some(v) = &sig.variadic {
        return Err(syn::Error::new(v.span(), "a kernel cannot be variadic"));
    }
    let type_params: Vec<&syn::TypeParam> = sig
        .generics
        .params
        .iter()
        .filter_map(|p| match p {
            GenericParam::Type(t) => Some(t),
            _ => None,
        })
        .collect();
    if let Some(c) = sig.generics.params.iter().find_map(|p| match p {
        GenericParam::Const(c) => Some(c),
        _ => None,
    }) {
        return Err(syn::Error::new(
            c.span(),
            "a kernel takes no const parameters: pass the value as an argument and match on \
             it outside the hot loop",
        ));
    }
    let tparam = match type_params.as_slice() {
        [one] => *one,
        [] => {
            return Err(syn::Error::new(
                sig.ident.span(),
                "wrong kernel signature: a kernel needs exactly one type parameter, the element \
                 type, e.g. `fn sum<T: Native>(values: &[T]) -> f64`",
            ));
        }
        [_, second, ..] => {
            return Err(syn::Error::new(
                second.span(),
                "wrong kernel signature: a kernel has exactly one type parameter, the element \
                 type; it is stamped out once per type named in `types(...)`",
            ));
        }
    };
    if tparam.default.is_some() {
        return Err(syn::Error::new(
            tparam.span(),
            "the element type parameter cannot have a default",
        ));
    }
    let t = &tparam.ident;
    let bounds = &tparam.bounds;
    let lifetimes: Vec<&syn::LifetimeParam> = sig.generics.lifetimes().collect();

    // Parameters: names for forwarding, types for the signatures.
    let mut arg_names = Vec::new();
    let mut arg_types = Vec::new();
    let mut pretty_names = Vec::new();
    for (i, input) in sig.inputs.iter().enumerate() {
        match input {
            FnArg::Receiver(r) => {
                return Err(syn::Error::new(
                    r.span(),
                    "wrong kernel signature: a kernel is a free function; `self` is not allowed",
                ));
            }
            FnArg::Typed(pt) => {
                if let Type::ImplTrait(it) = &*pt.ty {
                    return Err(syn::Error::new(
                        it.span(),
                        "wrong kernel signature: `impl Trait` parameters are not supported; \
                         take a concrete type or `&dyn Trait`",
                    ));
                }
                let pretty = match &*pt.pat {
                    Pat::Ident(pi) => pi.ident.clone(),
                    _ => format_ident!("arg{}", i),
                };
                arg_names.push(format_ident!("__llkv_arg{}", i));
                pretty_names.push(pretty);
                arg_types.push((*pt.ty).clone());
            }
        }
    }
    if let ReturnType::Type(_, ty) = &sig.output
        && let Type::ImplTrait(it) = &**ty
    {
        return Err(syn::Error::new(
            it.span(),
            "wrong kernel signature: a kernel cannot return `impl Trait`; return a concrete type",
        ));
    }
    if sig.inputs.is_empty() {
        return Err(syn::Error::new(
            sig.ident.span(),
            "wrong kernel signature: a kernel takes the values it works on as parameters, \
             e.g. `values: &[T]`",
        ));
    }

    let name = &sig.ident;
    let vis = &item.vis;
    let output = &sig.output;
    let where_clause = &sig.generics.where_clause;
    let attrs = &item.attrs;
    let body_inputs = &sig.inputs;
    let block = &item.block;

    // Trait-side signature: T -> Self.
    let mut self_types = arg_types.clone();
    let mut self_output = sig.output.clone();
    let mut self_where = sig.generics.where_clause.clone();
    {
        let mut v = ToSelf(t);
        for ty in &mut self_types {
            v.visit_type_mut(ty);
        }
        v.visit_return_type_mut(&mut self_output);
        if let Some(w) = &mut self_where {
            v.visit_where_clause_mut(w);
        }
    }

    let lt_decl = quote! { #(#lifetimes,)* };
    let fwd = quote! { #(#arg_names),* };
    let typed_args: Vec<TokenStream2> = arg_names
        .iter()
        .zip(&arg_types)
        .map(|(n, ty)| quote! { #n: #ty })
        .collect();
    let self_args: Vec<TokenStream2> = arg_names
        .iter()
        .zip(&self_types)
        .map(|(n, ty)| quote! { #n: #ty })
        .collect();

    // One wrapper per stamped level.
    let mut wrappers = Vec::new();
    for level in &args.levels {
        let fname = format_ident!("__{}", level.name());
        let (cfg, feat, unsafety, doc) = match (level.arch(), level.features()) {
            (Some(arch), Some(features)) => (
                quote! { #[cfg(target_arch = #arch)] },
                quote! { #[target_feature(enable = #features)] },
                quote! { unsafe },
                format!(
                    "The body compiled with `{features}`.\n\n# Safety\n\nCall only after \
                     `cpu::detected()` reported this level or a higher one."
                ),
            ),
            _ => (
                quote! {},
                quote! {},
                quote! {},
                "The body compiled for the target's baseline.".to_string(),
            ),
        };
        wrappers.push(quote! {
            #[doc = #doc]
            #cfg
            #feat
            #[inline]
            #unsafety fn #fname<#lt_decl #t: #bounds>(#(#typed_args),*) #output #where_clause {
                __body::<#t>(#fwd)
            }
        });
    }

    // Dispatch arms: for each runtime level, the best stamped level allowed under it.
    let level_path = quote! { #krate::cpu::CpuLevel };
    let mut arms = Vec::new();
    for runtime in [Level::Avx512, Level::Avx2, Level::Neon] {
        let Some(best) = runtime
            .fallbacks()
            .iter()
            .copied()
            .find(|l| args.levels.contains(l))
        else {
            continue;
        };
        if best == Level::Baseline {
            continue;
        }
        let arch = runtime.arch().unwrap_or("x86_64");
        let variant = runtime.variant();
        let fname = format_ident!("__{}", best.name());
        // SAFETY (of the generated `unsafe` block): `cpu::effective` returns `runtime` only
        // when `cpu::detected()` found every feature of that level on the running CPU, and
        // the features of `best` are a subset of the features of `runtime` (`fallbacks`).
        arms.push(quote! {
            #[cfg(target_arch = #arch)]
            #level_path::#variant => unsafe { #fname::<Self>(#fwd) },
        });
    }

    let impls = args.types.iter().map(|(ty, _, _)| {
        quote! {
            impl Kernel for #ty {
                #[inline]
                fn call<#lt_decl>(#(#self_args),*) #self_output #self_where {
                    <Self as Kernel>::call_at(#krate::cpu::detected(), #fwd)
                }

                fn call_at<#lt_decl>(
                    level: #level_path,
                    #(#self_args),*
                ) #self_output #self_where {
                    match #krate::cpu::effective(level) {
                        #(#arms)*
                        _ => __baseline::<Self>(#fwd),
                    }
                }
            }
        }
    });

    let arrow = quote! { #krate::__private::arrow };
    let dts: Vec<TokenStream2> = args
        .types
        .iter()
        .map(|(_, _, dt)| quote! { #arrow::datatypes::DataType::#dt })
        .collect();
    let type_list = args
        .types
        .iter()
        .map(|(i, _, _)| format!("`{i}`"))
        .collect::<Vec<_>>()
        .join(", ");
    let level_list = args
        .levels
        .iter()
        .map(|l| format!("`{}`", l.name()))
        .collect::<Vec<_>>()
        .join(", ");

    // The `&dyn Array` dispatcher, where the signature allows one.
    let returns_t = match &sig.output {
        ReturnType::Default => false,
        ReturnType::Type(_, ty) => mentions(&**ty, t, |m, n| m.visit_type(n)),
    };
    let where_t = sig
        .generics
        .where_clause
        .as_ref()
        .is_some_and(|w| mentions(w, t, |m, n| m.visit_where_clause(n)));
    let slice_params: Vec<bool> = arg_types.iter().map(|ty| is_slice_of_t(ty, t)).collect();
    let other_mentions_t = arg_types
        .iter()
        .zip(&slice_params)
        .any(|(ty, s)| !s && mentions(ty, t, |m, n| m.visit_type(n)));
    let dispatch = if !returns_t
        && !where_t
        && !other_mentions_t
        && lifetimes.is_empty()
        && slice_params.iter().any(|s| *s)
    {
        let kernel_name = name.to_string();
        let params: Vec<TokenStream2> = pretty_names
            .iter()
            .zip(&arg_types)
            .zip(&slice_params)
            .map(|((n, ty), s)| {
                if *s {
                    quote! { #n: &dyn #arrow::array::Array }
                } else {
                    quote! { #n: #ty }
                }
            })
            .collect();
        let dyn_arms = args.types.iter().map(|(ty, arrow_ty, dt)| {
            let values = pretty_names.iter().zip(&slice_params).map(|(n, s)| {
                if *s {
                    quote! {
                        #krate::__private::values::<#arrow::datatypes::#arrow_ty>(#n, #kernel_name)?
                    }
                } else {
                    quote! { #n }
                }
            });
            quote! {
                #arrow::datatypes::DataType::#dt => {
                    ::core::result::Result::Ok(<#ty as Kernel>::call(#(#values),*))
                }
            }
        });
        let first = pretty_names
            .iter()
            .zip(&slice_params)
            .find(|(_, s)| **s)
            .map(|(n, _)| n.clone())
            .unwrap_or_else(|| Ident::new("values", Span::call_site()));
        let ret = match &sig.output {
            ReturnType::Default => quote! { () },
            ReturnType::Type(_, ty) => quote! { #ty },
        };
        let doc = format!(
            "Runs [`{name}`](fn@super::{name}) on Arrow arrays: matches the type of `{first}` once, \
             checks the other array arguments have the same type, and passes the value \
             buffers (NULL slots included; validity is the caller's business).\n\n# Errors\n\n\
             `KernelError::UnsupportedType` for a type not in {type_list}, \
             `KernelError::TypeMismatch` when the arrays' types differ."
        );
        quote! {
            #[doc = #doc]
            pub fn dispatch(#(#params),*) -> ::core::result::Result<#ret, #krate::KernelError> {
                match #first.data_type() {
                    #(#dyn_arms)*
                    other => ::core::result::Result::Err(#krate::KernelError::UnsupportedType {
                        kernel: #kernel_name,
                        data_type: other.clone(),
                    }),
                }
            }
        }
    } else {
        quote! {}
    };

    let mod_doc = format!(
        "Stamped-out versions of [`{name}`](fn@super::{name}): types {type_list}; cpu levels \
         {level_list}."
    );
    let trait_doc = format!(
        "The element types [`{name}`](fn@super::{name}) was stamped out for ({type_list})."
    );
    let unimpl_msg = format!("kernel `{name}` was not stamped out for `{{Self}}`");
    let unimpl_label = format!("`{name}` has no version for `{{Self}}`");
    let unimpl_note =
        format!("`{name}` was stamped out for {type_list}: add the type to its `types(...)`");
    let call_at_doc = format!(
        "Runs [`{name}`](fn@super::{name}) at `level`, lowered to the best level this CPU \
         supports and this kernel was stamped for."
    );

    Ok(quote! {
        #(#attrs)*
        #vis fn #name<#lt_decl #t: #name::Kernel>(#(#typed_args),*) #output #where_clause {
            <#t as #name::Kernel>::call(#fwd)
        }

        #[doc = #mod_doc]
        #[allow(clippy::too_many_arguments, clippy::needless_lifetimes)]
        #vis mod #name {
            #[allow(unused_imports)]
            use super::*;

            #[doc = #trait_doc]
            #[diagnostic::on_unimplemented(
                message = #unimpl_msg,
                label = #unimpl_label,
                note = #unimpl_note
            )]
            pub trait Kernel: ::core::marker::Copy + 'static + #bounds {
                /// Runs the kernel at the best CPU level detected on this machine.
                fn call<#lt_decl>(#(#self_args),*) #self_output #self_where;
                #[doc = #call_at_doc]
                fn call_at<#lt_decl>(level: #level_path, #(#self_args),*) #self_output #self_where;
            }

            /// The kernel body, inlined into every level's wrapper.
            #[inline(always)]
            fn __body<#lt_decl #t: #bounds>(#body_inputs) #output #where_clause #block

            #(#wrappers)*

            #(#impls)*

            #[doc = #call_at_doc]
            pub fn call_at<#lt_decl #t: Kernel>(level: #level_path, #(#typed_args),*) #output #where_clause {
                <#t as Kernel>::call_at(level, #fwd)
            }

            /// The Arrow types this kernel was stamped out for.
            pub const TYPES: &[#arrow::datatypes::DataType] = &[#(#dts),*];

            /// True if the kernel has a version for `data_type`.
            pub fn supports(data_type: &#arrow::datatypes::DataType) -> bool {
                TYPES.contains(data_type)
            }

            #dispatch
        }
    })
}
