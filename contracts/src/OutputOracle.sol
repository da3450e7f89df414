// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity 0.8.28;

import {BatchInbox} from "./BatchInbox.sol";

/// @title OutputOracle
/// @notice L1 registry of L2 output roots. The proposer commits, with a bond, to the output root
///         of an L2 block whose batch is already on L1 (`BatchInbox`). An output becomes final
///         once `challengeWindow` seconds have passed since it was proposed and neither it nor
///         any earlier output is being challenged; the Bridge only finalizes withdrawals against
///         final outputs. Until then the dispute game factory (`DisputeGameFactory`, set once by
///         the owner) may mark it challenged, delete it and every output after it, and slash its
///         bond. The bond of a final output can be reclaimed by its proposer; bonds of deleted
///         outputs stay in this contract until the dispute game factory awards them
///         (`slashBond`).
///
///         The owner sets the genesis output root (the output root of L2 block 0) once; it is
///         the agreed anchor of disputes about output 0.
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
    /// @notice Emitted when the dispute game factory marks an output challenged or unchallenged.
    event OutputChallenged(uint256 indexed outputIndex, bool challenged);
    /// @notice Emitted when the dispute game factory pays the bond of an output to `to`.
    event BondSlashed(uint256 indexed outputIndex, address to, uint256 amount);
    /// @notice Emitted once, when the owner sets the genesis output root.
    event GenesisOutputRootSet(bytes32 root);

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
    /// @notice The genesis output root can only be set once.
    error GenesisAlreadySet();
    /// @notice The zero root is not allowed here.
    error ZeroRoot();

    address internal immutable _proposer;
    BatchInbox internal immutable _batchInbox;
    uint256 internal immutable _challengeWindow;
    uint256 internal immutable _bond;
    address internal immutable _owner;

    /// @notice The contract allowed to delete outputs (zero until set).
    address public disputeGameFactory;

    Output[] internal _outputs;

    /// @notice The output root of L2 block 0 (zero until the owner sets it), the agreed anchor
    ///         of disputes about output 0.
    bytes32 public genesisOutputRoot;

    /// @dev Indices of the live outputs marked challenged (unordered) and, per index, its
    ///      position in that list plus one (0 = not challenged).
    uint256[] internal _challengedList;
    mapping(uint256 => uint256) internal _challengedPos;
    /// @dev The smallest challenged index plus one, 0 when no output is challenged. An output
    ///      at or after it is not final.
    uint256 internal _firstChallengedPlusOne;
    /// @dev Per output index: bonds of deleted outputs at that index not yet paid to anyone.
    mapping(uint256 => uint256) internal _forfeitedBonds;

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

    /// @notice Whether the output at `index` exists, its challenge window has passed, and
    ///         neither it nor any earlier output is challenged (a challenge that the challenger
    ///         wins deletes the challenged output and every later one, so those must not be
    ///         final meanwhile).
    function isFinal(uint256 index) public view returns (bool) {
        if (index >= _outputs.length) return false;
        uint256 firstChallenged = _firstChallengedPlusOne;
        if (firstChallenged != 0 && index >= firstChallenged - 1) return false;
        return block.timestamp >= uint256(_outputs[index].timestamp) + _challengeWindow;
    }

    /// @notice Whether the live output at `index` is marked challenged (a dispute game about it
    ///         is in progress).
    function isChallenged(uint256 index) external view returns (bool) {
        return _challengedPos[index] != 0;
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
        // Outputs are proposed in time order and an output after a non-final one is not final
        // either (see isFinal), so every later output is not final either.
        for (uint256 i = prevNextIndex; i > fromIndex; --i) {
            uint256 index = i - 1;
            // Not final, so never reclaimed; unless already slashed, the bond is forfeited.
            if (!_outputs[index].bondReclaimed) ++_forfeitedBonds[index];
            if (_challengedPos[index] != 0) _removeChallenged(index);
            _outputs.pop();
        }
        _recomputeFirstChallenged();
        emit OutputsDeleted(fromIndex, prevNextIndex);
    }

    /// @notice Marks the live output at `index` challenged or not; only the dispute game
    ///         factory. A challenged output, and every output after it, is not final.
    function setChallenged(uint256 index, bool challenged) external {
        if (msg.sender != disputeGameFactory || msg.sender == address(0)) revert Unauthorized();
        if (index >= _outputs.length) revert OutputNotFound();
        bool was = _challengedPos[index] != 0;
        if (challenged && !was) {
            // A final output can no longer be challenged.
            if (isFinal(index)) revert OutputAlreadyFinal();
            _challengedList.push(index);
            _challengedPos[index] = _challengedList.length;
            uint256 first = _firstChallengedPlusOne;
            if (first == 0 || index < first - 1) _firstChallengedPlusOne = index + 1;
        } else if (!challenged && was) {
            _removeChallenged(index);
            _recomputeFirstChallenged();
        }
        emit OutputChallenged(index, challenged);
    }

    /// @notice Pays the bond of output `index` to `to`, once; only the dispute game factory.
    ///         A live output must not be final and its bond not reclaimed (it is then marked
    ///         `bondReclaimed`); for a deleted index, one forfeited bond of an output deleted
    ///         at that index is paid.
    function slashBond(uint256 index, address to) external {
        if (msg.sender != disputeGameFactory || msg.sender == address(0)) revert Unauthorized();
        if (index < _outputs.length) {
            if (isFinal(index)) revert OutputAlreadyFinal();
            Output storage output = _outputs[index];
            if (output.bondReclaimed) revert BondAlreadyReclaimed();
            output.bondReclaimed = true;
        } else {
            if (_forfeitedBonds[index] == 0) revert BondAlreadyReclaimed();
            --_forfeitedBonds[index];
        }
        uint256 amount = _bond;
        bool ok;
        assembly ("memory-safe") {
            ok := call(gas(), to, amount, 0, 0, 0, 0)
        }
        if (!ok) revert BondTransferFailed();
        emit BondSlashed(index, to, amount);
    }

    /// @notice Sets the output root of L2 block 0; only the owner, only once, not zero.
    function setGenesisOutputRoot(bytes32 root) external {
        if (msg.sender != _owner) revert Unauthorized();
        if (genesisOutputRoot != bytes32(0)) revert GenesisAlreadySet();
        if (root == bytes32(0)) revert ZeroRoot();
        genesisOutputRoot = root;
        emit GenesisOutputRootSet(root);
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

    /// @dev Removes `index` from the challenged list (swap and pop).
    function _removeChallenged(uint256 index) internal {
        uint256 pos = _challengedPos[index] - 1;
        uint256 lastPos = _challengedList.length - 1;
        if (pos != lastPos) {
            uint256 moved = _challengedList[lastPos];
            _challengedList[pos] = moved;
            _challengedPos[moved] = pos + 1;
        }
        _challengedList.pop();
        delete _challengedPos[index];
    }

    /// @dev Recomputes the smallest challenged index; the list holds one entry per running
    ///      dispute game, so it is short.
    function _recomputeFirstChallenged() internal {
        uint256 n = _challengedList.length;
        uint256 first = 0;
        for (uint256 i = 0; i < n; ++i) {
            uint256 index = _challengedList[i];
            if (first == 0 || index < first - 1) first = index + 1;
        }
        _firstChallengedPlusOne = first;
    }
}
