//! The code tonic-prost-build generates from `proto/`, and the descriptor set
//! that server reflection serves.

#![allow(clippy::all, missing_docs)]

/// `ram.v1`: the AWS RAM operations.
pub mod ram {
    pub mod v1 {
        tonic::include_proto!("ram.v1");
    }
    /// `ram.admin.v1`: the admin service.
    pub mod admin {
        pub mod v1 {
            tonic::include_proto!("ram.admin.v1");
        }
    }
}

/// The encoded `FileDescriptorSet` of every proto file, for reflection.
pub const FILE_DESCRIPTOR_SET: &[u8] = tonic::include_file_descriptor_set!("ramd_descriptor");

pub use ram::admin::v1 as admin;
pub use ram::v1;
