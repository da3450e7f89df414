// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity 0.8.28;

import {BatchInbox} from "./BatchInbox.sol";

/// @title OutputOracle
/// @notice L1 registry of L2 output roots. The proposer commits, with a bond, to the output root
///         of an L2 block whose batch is already on L1 (`BatchInbox`). An output becomes final
///         once `challengeWindow` seconds have passed since it was proposed; the Bridge only
///         finalizes withdrawals against final outputs. Until then the dispute game factory
///         (set once by the owner, added with the fraud-proof game later) may delete it and
///         every output after it. The bond of a final output can be reclaimed by its proposer;
///         bonds of deleted outputs stay in this contract for the dispute game to award.
///
///         Output root: `keccak256(abi.encode(bytes32(0) /*version*/, stateRoot, withdrawalsRoot, blockHash))`.
contract OutputOracle {
    /// @notice One proposed output.
    struct Output {
        // The committed output root.
        bytes32 outputRoot;
        // L1 timestamp of the proposal; the challenge window runs from here.
        uint64 timestamp;
        // The L2 block the output root is for.
        uint64 l2BlockNumber;
        // Who proposed it (and is paid the bond back).
        address proposer;
        // Whether the bond has been paid back.
        bool bondReclaimed;
    }

    /// @notice Emitted for every proposed output.
    event OutputProposed(uint256 indexed outputIndex, uint256 indexed l2BlockNumber, bytes32 outputRoot, uint256 timestamp);
    /// @notice Emitted when outputs `fromIndex..prevNextIndex` are deleted.
    event OutputsDeleted(uint256 indexed fromIndex, uint256 prevNextIndex);
    /// @notice Emitted when the bond of a final output is paid back.
    event BondReclaimed(uint256 indexed outputIndex, address to, uint256 amount);
    /// @notice Emitted once, when the owner sets the dispute game factory.
    event DisputeGameFactorySet(address indexed factory);

    /// @notice The caller may not do this.
    error Unauthorized();
    /// @notice `msg.value` is not exactly the bond.
    error WrongBond();
    /// @notice The proposed L2 block is not after the latest proposed one (or is block 0).
    error BlockNumberNotIncreasing();
    /// @notice The proposed L2 block is not yet covered by a batch in the BatchInbox.
    error BlockNotBatched();
    /// @notice There is no output at that index.
    error OutputNotFound();
    /// @notice The output's challenge window has not passed yet.
    error OutputNotFinal();
    /// @notice Final outputs can no longer be deleted.
    error OutputAlreadyFinal();
    /// @notice The bond of this output was already paid back.
    error BondAlreadyReclaimed();
    /// @notice Paying the bond back to the proposer failed.
    error BondTransferFailed();
    /// @notice The dispute game factory can only be set once.
    error DisputeGameFactoryAlreadySet();
    /// @notice The zero address is not allowed here.
    error ZeroAddress();

    address internal immutable _proposer;
    BatchInbox internal immutable _batchInbox;
    uint256 internal immutable _challengeWindow;
    uint256 internal immutable _bond;
    address internal immutable _owner;

    /// @notice The contract allowed to delete outputs (zero until set).
    address public disputeGameFactory;

    Output[] internal _outputs;

    /// @param proposer The account allowed to propose.
    /// @param batchInbox The BatchInbox whose `nextL2Block()` bounds proposals.
    /// @param challengeWindow Seconds until an output is final.
    /// @param bond Wei required per proposal.
    /// @param owner The account allowed to set the dispute game factory.
    constructor(address proposer, address batchInbox, uint256 challengeWindow, uint256 bond, address owner) {
        _proposer = proposer;
        _batchInbox = BatchInbox(batchInbox);
        _challengeWindow = challengeWindow;
        _bond = bond;
        _owner = owner;
    }

    /// @notice The only account allowed to propose outputs.
    function proposer() external view returns (address) {
        return _proposer;
    }

    /// @notice The inbox whose batches bound which L2 blocks can be proposed.
    function batchInbox() external view returns (address) {
        return address(_batchInbox);
    }

    /// @notice Seconds after a proposal until the output is final.
    function challengeWindow() external view returns (uint256) {
        return _challengeWindow;
    }

    /// @notice Wei that must be sent with every proposal.
    function bond() external view returns (uint256) {
        return _bond;
    }

    /// @notice The account allowed to set the dispute game factory.
    function owner() external view returns (address) {
        return _owner;
    }

    /// @notice Proposes `outputRoot` for L2 block `l2BlockNumber`, posting the bond.
    function propose(uint256 l2BlockNumber, bytes32 outputRoot) external payable {
        if (msg.sender != _proposer) revert Unauthorized();
        if (msg.value != _bond) revert WrongBond();
        if (l2BlockNumber <= latestBlockNumber()) revert BlockNumberNotIncreasing();
        if (l2BlockNumber >= _batchInbox.nextL2Block()) revert BlockNotBatched();

        uint256 index = _outputs.length;
        _outputs.push(
            Output({
                outputRoot: outputRoot,
                timestamp: uint64(block.timestamp),
                // Fits: it is below BatchInbox.nextL2Block(), a uint64.
                l2BlockNumber: uint64(l2BlockNumber),
                proposer: msg.sender,
                bondReclaimed: false
            })
        );
        emit OutputProposed(index, l2BlockNumber, outputRoot, block.timestamp);
    }

    /// @notice The output at `index`.
    function getOutput(uint256 index) external view returns (Output memory) {
        if (index >= _outputs.length) revert OutputNotFound();
        return _outputs[index];
    }

    /// @notice Whether the output at `index` exists and its challenge window has passed.
    function isFinal(uint256 index) public view returns (bool) {
        if (index >= _outputs.length) return false;
        return block.timestamp >= uint256(_outputs[index].timestamp) + _challengeWindow;
    }

    /// @notice Number of live outputs, i.e. the index of the next proposal.
    function outputCount() external view returns (uint256) {
        return _outputs.length;
    }

    /// @notice L2 block number of the latest live output, 0 when there is none.
    function latestBlockNumber() public view returns (uint256) {
        uint256 n = _outputs.length;
        return n == 0 ? 0 : _outputs[n - 1].l2BlockNumber;
    }

    /// @notice Deletes outputs `fromIndex..outputCount()`; only the dispute game factory, and
    ///         only while the output at `fromIndex` is not final.
    function deleteOutputs(uint256 fromIndex) external {
        if (msg.sender != disputeGameFactory || msg.sender == address(0)) revert Unauthorized();
        uint256 prevNextIndex = _outputs.length;
        if (fromIndex >= prevNextIndex) revert OutputNotFound();
        if (isFinal(fromIndex)) revert OutputAlreadyFinal();
        // Outputs are proposed in time order, so every later output is not final either.
        for (uint256 i = prevNextIndex; i > fromIndex; --i) {
            _outputs.pop();
        }
        emit OutputsDeleted(fromIndex, prevNextIndex);
    }

    /// @notice Sets the dispute game factory; only the owner, only once.
    function setDisputeGameFactory(address f) external {
        if (msg.sender != _owner) revert Unauthorized();
        if (disputeGameFactory != address(0)) revert DisputeGameFactoryAlreadySet();
        if (f == address(0)) revert ZeroAddress();
        disputeGameFactory = f;
        emit DisputeGameFactorySet(f);
    }

    /// @notice Pays the bond of the final output at `index` back to its proposer, once.
    function reclaimBond(uint256 index) external {
        if (index >= _outputs.length) revert OutputNotFound();
        if (!isFinal(index)) revert OutputNotFinal();
        Output storage output = _outputs[index];
        if (output.bondReclaimed) revert BondAlreadyReclaimed();
        output.bondReclaimed = true;
        address to = output.proposer;
        uint256 amount = _bond;
        bool ok;
        assembly ("memory-safe") {
            ok := call(gas(), to, amount, 0, 0, 0, 0)
        }
        if (!ok) revert BondTransferFailed();
        emit BondReclaimed(index, to, amount);
    }
}
