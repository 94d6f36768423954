//! The Joystream distribution topology: families, buckets, operators and bags.
//!
//! Faithful to the runtime's storage pallet (families hold buckets; a bucket's id is
//! `(family, index)` and it cannot change family; operators are workers invited to and accepted
//! by a bucket; bags are assigned to buckets per family) and to the metadata that lives only in
//! the indexers (family region/areas, operator endpoint/location).
//!
//! [`Topology::nodes`] turns the operators into physical [`Node`](crate::node::Node)s for the serving model:
//! a node is one endpoint, which may operate buckets in several families.
//!
//! * [`check`]: findings a lead should fix (missing or misplaced coordinates, duplicate
//!   endpoints, buckets without an active operator).
//! * [`regions`]: the region catalogue families are matched against.
//! * [`Topology::with_moves`]: the topology once a relocation plan's node moves are done.

pub mod check;
mod ids;
mod model;
mod moves;
pub mod regions;
mod text;

pub use check::{Finding, FindingKind};
pub use ids::{BagId, BucketId, FamilyId, WorkerId};
pub(crate) use model::endpoint_host;
pub use model::{
    Bag, BagsUnknown, Bucket, ChainRead, DynamicBagPolicy, DynamicBagType, Family, FamilyMetadata,
    GeographicalArea, NodeLocation, Operator, OperatorMetadata, OperatorStatus, RuntimeLimits,
    StorageRead, Topology,
};
pub use moves::MovesApplied;
pub(crate) use moves::node_id;
pub use text::text;
